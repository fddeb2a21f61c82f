/**
 * Unpacks a tar (the archived build context) into a directory without ever writing outside it,
 * whatever the tar holds:
 *  - member names are checked with member-path.ts (no absolute path, no `..`);
 *  - every parent directory is checked with lstat and must be a real directory pack created or
 *    found: nothing is ever written through a symlink, even one the tar itself just created
 *    (the classic `link -> /etc`, then `link/passwd` attack);
 *  - files are created with O_CREAT|O_EXCL|O_NOFOLLOW: an existing name, or a symlink planted
 *    there, makes the open fail instead of being followed or overwritten;
 *  - symlinks are created as they are (a project may hold links that point anywhere; they are
 *    its content) but never followed; hard links may only name a file extracted earlier;
 *  - devices and FIFOs are skipped with a warning; setuid/setgid/sticky bits are dropped.
 * The whole tree is built in `<dir>.partial-<random>` beside the destination and renamed onto it
 * when complete, so an interrupted extraction leaves no half-filled destination.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PackError, UsageError, errnoCode } from '../errors.js';
import type { Emit } from '../progress/events.js';
import { hardlinkTarget, memberPath } from './member-path.js';
import { TarFormatError, TarParser, type TarMember } from './tar-parser.js';

export interface ExtractResult {
  readonly directory: string;
  readonly files: number;
  readonly directories: number;
  readonly links: number;
  readonly skipped: number;
}

/** Extracts the tar `chunks` into `dest` (which must not exist, or be an empty directory). */
export async function extractTar(chunks: AsyncIterable<Buffer>, dest: string, options: { emit?: Emit; signal?: AbortSignal; what?: string } = {}): Promise<ExtractResult> {
  await checkDestination(dest);
  const staging = join(dirname(dest), `.${basename(dest)}.partial-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  const extractor = new Extractor(staging, options.what ?? 'the tar', options.emit);
  try {
    const parser = new TarParser();
    for await (const chunk of chunks) {
      options.signal?.throwIfAborted();
      for (const event of parser.write(chunk)) {
        if (event.kind === 'member') await extractor.begin(event.member);
        else if (event.kind === 'data') await extractor.data(event.chunk);
        else if (event.kind === 'member-end') await extractor.end(event.member);
      }
    }
    parser.finish();
    await extractor.finish();
    await placeOnto(staging, dest);
  } catch (error) {
    await extractor.abandon();
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    if (error instanceof TarFormatError) {
      throw new PackError('EXTRACT_TAR_INVALID', `${options.what ?? 'the tar'} is not a well-formed tar: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return { directory: dest, ...extractor.counts };
}

async function checkDestination(dest: string): Promise<void> {
  try {
    const stats = await lstat(dest);
    if (!stats.isDirectory()) throw new UsageError('EXTRACT_DESTINATION', `--extract ${dest}: exists and is not a directory`, { hint: 'name a new directory' });
    if ((await readdir(dest)).length > 0) throw new UsageError('EXTRACT_DESTINATION', `--extract ${dest}: the directory is not empty`, { hint: 'name a new or empty directory; pack never overwrites files' });
  } catch (error) {
    if (error instanceof PackError) throw error;
    if (errnoCode(error) !== 'ENOENT') throw new UsageError('EXTRACT_DESTINATION', `--extract ${dest}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}

/** rename(2) replaces an empty directory atomically; a missing one is simply created. */
async function placeOnto(staging: string, dest: string): Promise<void> {
  try {
    await rename(staging, dest);
  } catch (error) {
    if (errnoCode(error) !== 'ENOTEMPTY' && errnoCode(error) !== 'EEXIST') throw error;
    throw new UsageError('EXTRACT_DESTINATION', `--extract ${dest}: something appeared in the directory while extracting`);
  }
  await chmod(dest, 0o755).catch(() => {});
}

class Extractor {
  readonly counts = { files: 0, directories: 0, links: 0, skipped: 0 };
  /** Paths pack created, by kind: only these may be written into (dirs) or linked to (files). */
  private readonly created = new Map<string, 'dir' | 'file' | 'symlink'>();
  private handle: FileHandle | undefined;
  private readonly directoryModes: { path: string; mode: number; mtime: number }[] = [];

  constructor(
    private readonly root: string,
    private readonly what: string,
    private readonly emit: Emit | undefined,
  ) {}

  async begin(member: TarMember): Promise<void> {
    const verdict = memberPath(member.name);
    if (!verdict.ok) throw this.unsafe(member, verdict.reason);
    const path = verdict.path;
    if (path === '') return;
    if (this.created.has(path) && !(member.type === 'dir' && this.created.get(path) === 'dir')) throw this.unsafe(member, 'repeats an earlier member');
    await this.parents(member, path);
    const target = join(this.root, ...path.split('/'));
    switch (member.type) {
      case 'dir':
        if (this.created.get(path) !== 'dir') await mkdir(target, { mode: 0o700 });
        this.created.set(path, 'dir');
        this.directoryModes.push({ path: target, mode: member.mode & 0o777, mtime: member.mtime });
        this.counts.directories += 1;
        return;
      case 'file':
        // O_EXCL|O_NOFOLLOW: fail on anything already there, symlinks included.
        this.handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        this.created.set(path, 'file');
        this.counts.files += 1;
        return;
      case 'symlink':
        await symlink(member.linkname, target);
        this.created.set(path, 'symlink');
        this.counts.links += 1;
        return;
      case 'hardlink': {
        const linked = hardlinkTarget(member.linkname);
        if (!linked.ok) throw this.unsafe(member, `is a hard link that ${linked.reason}`);
        if (this.created.get(linked.path) !== 'file') throw this.unsafe(member, `is a hard link to ${linked.path}, which is not a file extracted before it`);
        await link(join(this.root, ...linked.path.split('/')), target);
        this.created.set(path, 'file');
        this.counts.links += 1;
        return;
      }
      default:
        this.counts.skipped += 1;
        this.emit?.({ type: 'warning', code: 'extract.special-file-skipped', message: `${this.what}: skipped ${member.name}, a ${member.type === 'fifo' ? 'FIFO' : `${member.type} device`}`, path: member.name });
        return;
    }
  }

  async data(chunk: Buffer): Promise<void> {
    if (this.handle !== undefined) await this.handle.write(chunk);
  }

  async end(member: TarMember): Promise<void> {
    if (member.type !== 'file' || this.handle === undefined) return;
    const handle = this.handle;
    this.handle = undefined;
    // Permission bits only: setuid/setgid/sticky from an archive are not honoured.
    await handle.chmod(member.mode & 0o777);
    await handle.utimes(member.mtime, member.mtime);
    await handle.close();
  }

  async finish(): Promise<void> {
    // Deepest first, so that a read-only directory does not stop its children being written.
    for (const dir of [...this.directoryModes].reverse()) {
      await chmod(dir.path, dir.mode | 0o700);
      await utimes(dir.path, dir.mtime, dir.mtime);
    }
    for (const dir of [...this.directoryModes].reverse()) await chmod(dir.path, dir.mode);
  }

  async abandon(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
    // A directory made read-only must be writable again to be removed.
    for (const dir of this.directoryModes) await chmod(dir.path, 0o700).catch(() => {});
  }

  /** Each parent must be a directory pack created (or made implicitly), never a link or a file. */
  private async parents(member: TarMember, path: string): Promise<void> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const kind = this.created.get(prefix);
      if (kind === 'dir') continue;
      if (kind !== undefined) throw this.unsafe(member, `goes through ${prefix}, which is a ${kind === 'symlink' ? 'symlink' : 'file'}`);
      const dir = join(this.root, ...parts.slice(0, i));
      let stats;
      try {
        stats = await lstat(dir);
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
      if (stats !== undefined) throw this.unsafe(member, `goes through ${prefix}, which pack did not create`);
      await mkdir(dir, { mode: 0o755 });
      this.created.set(prefix, 'dir');
    }
  }

  private unsafe(member: TarMember, reason: string): PackError {
    return new PackError('EXTRACT_UNSAFE', `${this.what}: refusing ${JSON.stringify(member.name)}: it ${reason}; nothing was extracted`, {
      hint: 'the archive was modified to write outside the destination; do not use it',
    });
  }
}
