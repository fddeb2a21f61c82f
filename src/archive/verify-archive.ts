/**
 * `pack verify`: reads an archive once, start to end, and checks everything that can be checked:
 *  - the tar itself: header checksums, zero padding, end marker, nothing after it (tar-parser.ts),
 *    so that no byte of the file goes unchecked; gzip's own CRC when compressed;
 *  - safety first: a member that is absolute, has a `..`, links outside the archive, goes through
 *    a symlink, repeats an earlier name, or is a device stops the reading at once (the archive is
 *    rejected; verification writes nothing anywhere, ever);
 *  - every member's size and sha256 against pack/manifest.json, and the manifest itself against
 *    pack/SHA256SUMS (which also lists every other file), with nothing unlisted and nothing missing;
 *  - the image part as `docker load` sees it (image-part.ts): config digest = image ID = the
 *    manifest's, layer digests = diff IDs = the manifest's, tags as recorded;
 *  - the context tar: well-formed, no member escaping, the Dockerfile inside it identical to
 *    pack/Dockerfile.
 * Memory is bounded: hashes run as data streams past; only small documents are kept.
 */
import { isPackMember, CONTEXT_MEMBER, DOCKERFILE_MEMBER, MANIFEST_MEMBER, SUMS_MEMBER } from './archive-layout.js';
import { ManifestError, parseManifest, type ArchiveManifest } from './archive-manifest.js';
import { digestMismatch, problem, type ArchiveProblem } from './archive-problem.js';
import { openArchive, type OpenedArchive } from './archive-input.js';
import { HashWorker } from '../hash-worker.js';
import { readImagePart, type ImagePart } from './image-part.js';
import { MemberDigester, type DigestedMember } from './member-digests.js';
import { hardlinkTarget, memberPath, symlinkTarget } from './member-path.js';
import { TarFormatError, TarParser, type TarMember } from './tar-parser.js';

export interface VerifyOptions {
  readonly signal?: AbortSignal;
  /** Bytes read from the file so far, and its size. */
  readonly onProgress?: (bytes: number, total: number) => void;
}

export interface VerifiedImage {
  readonly id: string;
  readonly layout: 'docker-save' | 'oci';
  readonly repoTags: readonly string[];
  readonly layers: number;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly archive: string;
  readonly gzip: boolean;
  /** Size of the file, and of the tar inside it. */
  readonly fileBytes: number;
  readonly tarBytes: number;
  readonly members: number;
  readonly manifest: ArchiveManifest | undefined;
  /** sha256 of pack/manifest.json: the archive's identity. */
  readonly manifestDigest: string | undefined;
  readonly image: VerifiedImage | undefined;
  /** What was checked and held, in words. */
  readonly checks: readonly string[];
  readonly problems: readonly ArchiveProblem[];
  /** True when reading stopped early (unsafe member, broken tar): later members were not checked. */
  readonly stopped: boolean;
}

const PROGRESS_BYTES = 8 * 1024 * 1024;

export async function verifyArchive(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const input = await openArchive(path, options.signal ? { signal: options.signal } : {});
  // Large members (layers, the context) are hashed on a second thread while this one reads.
  const worker = new HashWorker();
  try {
    return await verifyInput(input, worker, options);
  } finally {
    await worker.close();
  }
}

async function verifyInput(input: OpenedArchive, worker: HashWorker, options: VerifyOptions): Promise<VerifyReport> {
  const path = input.path;
  const problems: ArchiveProblem[] = [];
  const context = new ContextTarCheck();
  const digester = new MemberDigester({
    keep: (name) => name === MANIFEST_MEMBER || name === SUMS_MEMBER || name === DOCKERFILE_MEMBER || (!isPackMember(name) && !name.endsWith('/layer.tar')),
    expand: (name) => name.startsWith('blobs/'),
    onData: (member, chunk) => {
      if (member.name === CONTEXT_MEMBER) context.write(chunk);
    },
    worker,
  });
  const guard = new MemberGuard();
  const parser = new TarParser();
  let stopped = false;
  let reported = 0;
  try {
    reading: for await (const chunk of input.chunks) {
      for (const event of parser.write(chunk)) {
        if (event.kind === 'member') {
          const unsafe = guard.check(event.member);
          if (unsafe !== undefined) {
            problems.push(unsafe);
            stopped = true;
            break reading;
          }
          if (event.member.name === CONTEXT_MEMBER) context.start();
        }
        if (event.kind === 'member-end' && event.member.name === CONTEXT_MEMBER) context.finish();
        const waiting = digester.handle(event);
        if (waiting !== undefined) await waiting;
      }
      const read = input.bytesRead();
      if (read - reported >= PROGRESS_BYTES) {
        reported = read;
        options.onProgress?.(read, input.size);
      }
    }
    if (!stopped) parser.finish();
    await digester.settle();
  } catch (error) {
    const found = readingProblem(error, input.gzip);
    if (found === undefined) throw error;
    problems.push(found);
    stopped = true;
  }
  options.onProgress?.(input.bytesRead(), input.size);

  const report = { archive: path, gzip: input.gzip, fileBytes: input.size, tarBytes: parser.offset, members: digester.members.length };
  if (stopped) {
    return { ...report, ok: false, manifest: undefined, manifestDigest: undefined, image: undefined, checks: [], problems, stopped };
  }
  const checks: string[] = [];
  const outcome = checkContents(digester, context, checks, problems);
  return { ...report, ...outcome, ok: problems.length === 0, checks, problems, stopped };
}

function checkContents(
  digester: MemberDigester,
  context: ContextTarCheck,
  checks: string[],
  problems: ArchiveProblem[],
): Pick<VerifyReport, 'manifest' | 'manifestDigest' | 'image'> {
  const members = digester.members;
  const byName = new Map(members.map((member) => [member.name, member]));
  const manifestMember = byName.get(MANIFEST_MEMBER);
  const manifestBytes = digester.documents.get(MANIFEST_MEMBER);
  let manifest: ArchiveManifest | undefined;
  if (manifestMember === undefined || manifestBytes === undefined) {
    problems.push(problem('MANIFEST_MISSING', manifestMember === undefined ? `${MANIFEST_MEMBER} is missing: this is not a pack archive (or it was cut)` : `${MANIFEST_MEMBER} is too large to be a manifest`, { member: MANIFEST_MEMBER }));
  } else {
    try {
      manifest = parseManifest(manifestBytes);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems.push(problem(error.code, error.message, { member: MANIFEST_MEMBER }));
    }
  }

  // Every member against the manifest's list.
  if (manifest !== undefined) {
    const before = members.filter((member) => member.name !== MANIFEST_MEMBER && member.name !== SUMS_MEMBER);
    const before0 = problems.length;
    const listed = new Map(manifest.members.map((member) => [member.path, member]));
    for (const member of before) {
      const record = listed.get(member.name);
      listed.delete(member.name);
      if (record === undefined) {
        problems.push(problem('MEMBER_UNLISTED', `${member.name} is in the archive but not in ${MANIFEST_MEMBER}`, { member: member.name }));
        continue;
      }
      if (record.type !== member.type) {
        problems.push(problem('MEMBER_TYPE', `${member.name}: recorded as a ${record.type}, found a ${member.type}`, { member: member.name, expected: record.type, actual: member.type }));
        continue;
      }
      if (member.type === 'file') {
        if (record.size !== member.size) {
          problems.push(problem('MEMBER_SIZE', `${member.name}: size expected ${record.size ?? '?'} bytes, actual ${member.size}`, { member: member.name, expected: String(record.size), actual: String(member.size) }));
        }
        if (record.digest !== member.digest) problems.push(digestMismatch('MEMBER_DIGEST', member.name, 'sha256', record.digest ?? '(none)', member.digest ?? '(none)'));
      } else if ((member.type === 'symlink' || member.type === 'hardlink') && record.linkname !== member.linkname) {
        problems.push(problem('MEMBER_LINK', `${member.name}: link target expected ${JSON.stringify(record.linkname)}, actual ${JSON.stringify(member.linkname)}`, { member: member.name }));
      }
    }
    for (const missing of listed.keys()) problems.push(problem('MEMBER_MISSING', `${missing} is recorded in ${MANIFEST_MEMBER} but not in the archive`, { member: missing }));
    if (problems.length === before0) checks.push(`${before.length} members: size and sha256 as recorded in ${MANIFEST_MEMBER}`);
  }

  // The manifest and every other file against pack/SHA256SUMS.
  const recorded = new Map((manifest?.members ?? []).map((member) => [member.path, member.digest]));
  checkSums(members, digester.documents.get(SUMS_MEMBER), recorded, checks, problems);

  // The image, as docker load will see it.
  const imageMembers = members.filter((member) => !isPackMember(member.name));
  const part = readImagePart(imageMembers, digester.documents);
  problems.push(...part.problems);
  const image = checkImage(part, manifest, checks, problems);

  // The context tar and the Dockerfile in it.
  if (manifest !== undefined) checkContext(manifest, byName, context, checks, problems);
  return { manifest, manifestDigest: manifestMember?.digest, image };
}

function checkSums(
  members: readonly DigestedMember[],
  sums: Buffer | undefined,
  recorded: ReadonlyMap<string, string | null>,
  checks: string[],
  problems: ArchiveProblem[],
): void {
  if (sums === undefined) {
    problems.push(problem('SUMS_MISSING', `${SUMS_MEMBER} is missing (it holds the digest of ${MANIFEST_MEMBER})`, { member: SUMS_MEMBER }));
    return;
  }
  const files = new Map(members.filter((member) => member.type === 'file' && member.name !== SUMS_MEMBER && !/[\n\\]/.test(member.name)).map((member) => [member.name, member]));
  const before = problems.length;
  const lines = sums.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match === null) {
      problems.push(problem('SUMS_INVALID', `${SUMS_MEMBER}:${i + 1} is not a sha256sum line: ${JSON.stringify(line.slice(0, 120))}`, { member: SUMS_MEMBER }));
      return;
    }
    const name = match[2] as string;
    const member = files.get(name);
    if (member === undefined) {
      problems.push(problem('SUMS_UNKNOWN', `${SUMS_MEMBER}:${i + 1} lists ${name}, which is not a file in the archive`, { member: SUMS_MEMBER }));
      return;
    }
    files.delete(name);
    const listed = `sha256:${match[1] ?? ''}`;
    if (member.digest === listed) return;
    // When the member agrees with pack/manifest.json, the line is what changed.
    if (recorded.get(name) === member.digest) {
      problems.push(digestMismatch('SUMS_DIGEST', SUMS_MEMBER, `line ${i + 1} (${name})`, member.digest ?? '(none)', listed));
    } else {
      problems.push(digestMismatch('SUMS_DIGEST', name, `sha256 (${SUMS_MEMBER}:${i + 1})`, listed, member.digest ?? '(none)'));
    }
  });
  for (const name of files.keys()) problems.push(problem('SUMS_UNLISTED', `${name} is not listed in ${SUMS_MEMBER}`, { member: name }));
  if (problems.length === before) checks.push(`${SUMS_MEMBER}: every file matches, ${MANIFEST_MEMBER} included`);
}

function checkImage(part: ImagePart, manifest: ArchiveManifest | undefined, checks: string[], problems: ArchiveProblem[]): VerifiedImage | undefined {
  const expectedId = manifest?.image.id;
  const image = expectedId !== undefined ? part.images.find((candidate) => candidate.id === expectedId) : part.images[0];
  if (image === undefined) {
    if (expectedId !== undefined) {
      problems.push(
        problem('IMAGE_ID', `the image part holds ${part.images.map((candidate) => candidate.id).join(', ') || 'no readable image'}, not the recorded image ${expectedId}`, {
          expected: expectedId,
          actual: part.images.map((candidate) => candidate.id).join(', '),
        }),
      );
    }
    return undefined;
  }
  const before = problems.length;
  if (manifest !== undefined) {
    if (part.images.length !== 1) problems.push(problem('IMAGE_COUNT', `the image part holds ${part.images.length} images; pack archives hold one`));
    if (image.configPath !== manifest.image.config) {
      problems.push(problem('IMAGE_CONFIG_PATH', `image config expected at ${manifest.image.config}, found at ${image.configPath}`, { expected: manifest.image.config, actual: image.configPath }));
    }
    const diffIds = image.config.diffIds;
    if (diffIds.length !== manifest.image.diffIds.length || diffIds.some((id, i) => id !== manifest.image.diffIds[i])) {
      problems.push(problem('IMAGE_DIFF_IDS', `the image's diff IDs differ from those recorded in ${MANIFEST_MEMBER}`, { expected: manifest.image.diffIds.join(','), actual: diffIds.join(',') }));
    }
    const tags = [...image.repoTags].sort();
    const recorded = [...manifest.image.repoTags].sort();
    if (tags.join('\n') !== recorded.join('\n')) {
      problems.push(problem('IMAGE_TAGS', `the image is saved with tags ${tags.join(', ') || '(none)'}, ${MANIFEST_MEMBER} records ${recorded.join(', ') || '(none)'}`, { expected: recorded.join(','), actual: tags.join(',') }));
    }
  }
  const layersOk = image.layers.filter((layer) => layer.digest !== undefined && layer.digest === layer.diffId).length;
  if (problems.length === before && part.problems.length === 0) {
    checks.push(`image ${image.id}: config digest = image ID${manifest !== undefined ? ' = recorded ID' : ''} (${part.layout} layout)`);
    checks.push(`${layersOk}/${image.layers.length} layers: sha256 = diff ID`);
  }
  return { id: image.id, layout: part.layout, repoTags: image.repoTags, layers: image.layers.length };
}

function checkContext(manifest: ArchiveManifest, byName: ReadonlyMap<string, DigestedMember>, context: ContextTarCheck, checks: string[], problems: ArchiveProblem[]): void {
  const before = problems.length;
  const tar = byName.get(manifest.context.member);
  if (manifest.context.member !== CONTEXT_MEMBER || tar === undefined) {
    problems.push(problem('CONTEXT_MISSING', `the build context ${manifest.context.member} is not in the archive`, { member: manifest.context.member }));
    return;
  }
  if (tar.digest !== manifest.context.digest) problems.push(digestMismatch('CONTEXT_DIGEST', CONTEXT_MEMBER, 'context digest', manifest.context.digest, tar.digest ?? '(none)'));
  problems.push(...context.problems);
  const dockerfile = byName.get(manifest.build.dockerfile.member);
  if (dockerfile === undefined) {
    problems.push(problem('DOCKERFILE_MISSING', `the Dockerfile ${manifest.build.dockerfile.member} is not in the archive`, { member: manifest.build.dockerfile.member }));
  } else {
    if (dockerfile.digest !== manifest.build.dockerfile.digest) {
      problems.push(digestMismatch('DOCKERFILE_DIGEST', dockerfile.name, 'Dockerfile digest', manifest.build.dockerfile.digest, dockerfile.digest ?? '(none)'));
    }
    const inContext = context.digestOf(manifest.build.dockerfile.nameInContext);
    if (inContext === undefined) {
      problems.push(problem('DOCKERFILE_NOT_IN_CONTEXT', `${CONTEXT_MEMBER} has no ${manifest.build.dockerfile.nameInContext}, the Dockerfile the build used`, { member: CONTEXT_MEMBER }));
    } else if (inContext !== dockerfile.digest) {
      problems.push(digestMismatch('DOCKERFILE_CONTEXT_DIGEST', `${CONTEXT_MEMBER}:${manifest.build.dockerfile.nameInContext}`, `content (= ${dockerfile.name})`, dockerfile.digest ?? '(none)', inContext));
    }
  }
  if (problems.length === before) {
    checks.push(`${CONTEXT_MEMBER}: ${context.entries} entries, well-formed, none escaping; its ${manifest.build.dockerfile.nameInContext} = ${manifest.build.dockerfile.member}`);
  }
}

/** The safety rules of member-path.ts, plus: no repeated name, nothing through a symlink, no devices. */
class MemberGuard {
  private readonly seen = new Map<string, TarMember>();

  check(member: TarMember): ArchiveProblem | undefined {
    const unsafe = (reason: string): ArchiveProblem =>
      problem('MEMBER_UNSAFE', `unsafe member ${JSON.stringify(member.name)} at byte ${member.offset}: ${reason}; the archive is rejected and nothing was written`, { member: member.name });
    const verdict = memberPath(member.name);
    if (!verdict.ok) return unsafe(verdict.reason);
    const path = verdict.path;
    if (path === '') return member.type === 'dir' ? undefined : unsafe('names the archive root');
    if (this.seen.has(path)) return unsafe('repeats an earlier member (an extractor would overwrite the first one)');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = this.seen.get(parts.slice(0, i).join('/'));
      if (parent !== undefined && parent.type !== 'dir') return unsafe(`goes through ${parts.slice(0, i).join('/')}, which is a ${parent.type}`);
    }
    switch (member.type) {
      case 'symlink': {
        const target = symlinkTarget(path, member.linkname);
        if (!target.ok) return unsafe(`a symlink that ${target.reason}`);
        break;
      }
      case 'hardlink': {
        const target = hardlinkTarget(member.linkname);
        if (!target.ok) return unsafe(`a hard link that ${target.reason}`);
        if (this.seen.get(target.path)?.type !== 'file') return unsafe(`a hard link to ${target.path}, which is not an earlier file`);
        break;
      }
      case 'char':
      case 'block':
      case 'fifo':
        return unsafe(`a ${member.type === 'fifo' ? 'FIFO' : `${member.type} device`}, which no docker save holds`);
      default:
        break;
    }
    this.seen.set(path, member);
    return undefined;
  }
}

/** The context tar inside the archive, read as its bytes stream past: well-formed, nothing escaping. */
class ContextTarCheck {
  readonly problems: ArchiveProblem[] = [];
  entries = 0;
  private parser: TarParser | undefined;
  private readonly digester = new MemberDigester();
  private failed = false;

  start(): void {
    this.parser = new TarParser();
  }

  write(chunk: Buffer): void {
    if (this.parser === undefined || this.failed) return;
    try {
      for (const event of this.parser.write(chunk)) {
        if (event.kind === 'member') {
          this.entries += 1;
          const verdict = memberPath(event.member.name);
          const link = event.member.type === 'hardlink' ? hardlinkTarget(event.member.linkname) : undefined;
          const reason = !verdict.ok ? verdict.reason : link !== undefined && !link.ok ? `a hard link that ${link.reason}` : undefined;
          if (reason !== undefined) {
            this.problems.push(problem('CONTEXT_MEMBER_UNSAFE', `${CONTEXT_MEMBER}: member ${JSON.stringify(event.member.name)} ${reason}`, { member: CONTEXT_MEMBER }));
          }
        }
        // Context members are plain files: nothing to expand, nothing to keep.
        void this.digester.handle(event);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  finish(): void {
    if (this.parser === undefined || this.failed) return;
    try {
      this.parser.finish();
    } catch (error) {
      this.fail(error);
    }
  }

  /** sha256 of the context member at `path`, when it is a file. */
  digestOf(path: string): string | undefined {
    return this.digester.members.find((member) => member.type === 'file' && memberPath(member.name).ok && (memberPath(member.name) as { path: string }).path === path)?.digest;
  }

  private fail(error: unknown): void {
    if (!(error instanceof TarFormatError)) throw error;
    this.failed = true;
    this.problems.push(problem('CONTEXT_TAR_INVALID', `${CONTEXT_MEMBER} is not a well-formed tar: ${error.message}`, { member: CONTEXT_MEMBER }));
  }
}

/** A failure while reading that is a finding about the archive (not an I/O or abort error). */
function readingProblem(error: unknown, gzip: boolean): ArchiveProblem | undefined {
  if (error instanceof TarFormatError) return problem(error.code, error.message, error.member !== undefined ? { member: error.member } : {});
  const code = (error as { code?: unknown } | null)?.code;
  if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
    const truncated = code === 'Z_BUF_ERROR';
    return problem(
      truncated ? 'ARCHIVE_TRUNCATED' : 'ARCHIVE_GZIP_CORRUPT',
      truncated ? 'the gzip stream ends early: the file is truncated' : `the gzip data is corrupt: ${(error as Error).message}`,
    );
  }
  return undefined;
}
