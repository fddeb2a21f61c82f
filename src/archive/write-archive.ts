/**
 * The archive as a stream of bytes (layout: archive-layout.ts), produced on demand so that memory
 * stays bounded whatever the image's size: the engine's `docker save` stream is passed through
 * chunk by chunk (parsed and hashed on the way, its end-of-archive marker cut), then pack's
 * members follow, the context tar streamed from the encoder with its exact size announced up
 * front. Before pack's members are written, the image part is checked the way `pack verify` checks
 * it (config digest = the expected image ID, layer digests = diff IDs): an engine stream that is
 * cut short or not the image asked for fails the archive instead of producing a bad one.
 */
import { createHash } from 'node:crypto';
import { PackError } from '../errors.js';
import { encodeTarHeader, TypeFlag, blockPadding, END_OF_ARCHIVE_SIZE, type TarHeader } from '../context/tar-header.js';
import { CONTEXT_MEMBER, DOCKERFILE_MEMBER, MANIFEST_MEMBER, PACK_DIR, README_MEMBER, SUMS_MEMBER } from './archive-layout.js';
import { serializeManifest, type ArchiveManifest, type ArchiveMember } from './archive-manifest.js';
import type { SavedImage } from './docker-save-layout.js';
import { readImagePart } from './image-part.js';
import { HashWorker } from '../hash-worker.js';
import { MemberDigester, type DigestedMember } from './member-digests.js';
import { TarFormatError, TarParser } from './tar-parser.js';

export interface ArchiveContent {
  /** The engine's `docker save` stream for the image (all its tags). */
  readonly image: AsyncIterable<Buffer>;
  /** The image ID the save must contain (what was built or inspected). */
  readonly imageId: string;
  readonly dockerfile: Buffer;
  /** The context tar and its exact length (tarSize), needed for its header before its data. */
  readonly context: { readonly stream: AsyncIterable<Buffer>; readonly size: number };
  /** sha256 of the tar the build sent, when known: the archived context must be that very tar. */
  readonly expectedContextDigest?: string;
  /** mtime of pack's members (seconds). */
  readonly mtime: number;
  /** README.txt for this image. */
  readonly readme: (image: WrittenImage) => Buffer;
  /** The manifest, once every member before it is known. */
  readonly manifest: (written: WrittenArchive) => ArchiveManifest;
  /** Bytes of archive produced so far (before any compression). */
  readonly onProgress?: (bytes: number) => void;
}

export interface WrittenImage {
  readonly layout: 'docker-save' | 'oci';
  readonly image: SavedImage;
}

export interface WrittenArchive extends WrittenImage {
  /** Every member so far (the image's, then pack/, Dockerfile, README, context), in order. */
  readonly members: readonly ArchiveMember[];
  readonly dockerfileDigest: string;
  readonly context: { readonly digest: string; readonly size: number };
}

export interface ArchiveSummary {
  manifest: ArchiveManifest | undefined;
  /** sha256 of pack/manifest.json: the archive's identity (it lists every other digest). */
  manifestDigest: string | undefined;
  /** Bytes of tar produced (before compression). */
  bytes: number;
}

/**
 * The archive's bytes. `summary` is filled in as the stream is consumed and complete once it has
 * ended. Errors are PackErrors naming what went wrong.
 */
export function archiveStream(content: ArchiveContent): { stream: AsyncGenerator<Buffer>; summary: ArchiveSummary } {
  const summary: ArchiveSummary = { manifest: undefined, manifestDigest: undefined, bytes: 0 };
  return { stream: produce(content, summary), summary };
}

async function* produce(content: ArchiveContent, summary: ArchiveSummary): AsyncGenerator<Buffer> {
  const worker = new HashWorker();
  try {
    yield* produceWith(worker, content, summary);
  } finally {
    await worker.close();
  }
}

async function* produceWith(worker: HashWorker, content: ArchiveContent, summary: ArchiveSummary): AsyncGenerator<Buffer> {
  const count = (buffer: Buffer): Buffer => {
    summary.bytes += buffer.length;
    content.onProgress?.(summary.bytes);
    return buffer;
  };

  // 1. The image, passed through.
  const parser = new TarParser();
  const digester = new MemberDigester({
    keep: (name) => !name.endsWith('/layer.tar'),
    // The classic store saves uncompressed layers; a containerd-store save may hold compressed blobs.
    expand: (name) => name.startsWith('blobs/'),
    worker,
  });
  let tail = NOTHING;
  let forwarded = 0;
  try {
    for await (const chunk of content.image) {
      if (parser.end !== undefined) {
        parser.write(chunk);
        continue;
      }
      const buffer = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      for (const event of parser.write(chunk)) {
        const waiting = digester.handle(event);
        if (waiting !== undefined) await waiting;
      }
      const take = parser.committed - forwarded;
      if (take > 0) yield count(buffer.subarray(0, take));
      forwarded += Math.max(0, take);
      // What is held back (a zero block that may start the end-of-archive marker) is copied, so
      // that the chunk it came from is not kept alive; usually nothing is.
      const held = buffer.subarray(Math.max(0, take));
      tail = held.length === 0 ? NOTHING : Buffer.from(held);
    }
    parser.finish();
    await digester.settle();
  } catch (error) {
    if (error instanceof TarFormatError) {
      throw new PackError('ARCHIVE_SAVE_INVALID', `the engine's image stream is not a complete tar: ${error.message}`, {
        cause: error,
        hint: 'the engine may have stopped while saving; its log (journalctl -u docker) may say why',
      });
    }
    throw error;
  }
  const part = readImagePart(digester.members, digester.documents);
  const first = part.problems[0];
  if (first !== undefined) {
    throw new PackError('ARCHIVE_SAVE_INVALID', `the engine's image stream is inconsistent: ${first.message}`, {
      hint: 'nothing was written; `docker save` of the same image would be inconsistent too — check the engine (journalctl -u docker)',
    });
  }
  const image = part.images.find((candidate) => candidate.id === content.imageId);
  if (image === undefined || part.images.length !== 1) {
    throw new PackError(
      'ARCHIVE_SAVE_MISMATCH',
      `the engine saved ${part.images.map((candidate) => candidate.id).join(', ') || 'no image'}, not ${content.imageId}`,
      { hint: 'a tag may have moved to another image while archiving; run pack archive again' },
    );
  }
  const members: ArchiveMember[] = digester.members.map(recordOf);
  const written: WrittenImage = { layout: part.layout, image };

  // 2. pack's members.
  const header = (h: TarHeader): Buffer => count(encodeTarHeader(h));
  const file = function* (name: string, data: Buffer): Generator<Buffer> {
    yield header({ name, typeflag: TypeFlag.file, mode: 0o644, size: data.length, mtime: content.mtime, linkname: '' });
    yield count(data);
    const padding = blockPadding(data.length);
    if (padding > 0) yield count(Buffer.alloc(padding));
    members.push({ path: name, type: 'file', size: data.length, digest: sha256(data), linkname: null });
  };
  yield header({ name: PACK_DIR, typeflag: TypeFlag.dir, mode: 0o755, size: 0, mtime: content.mtime, linkname: '' });
  members.push({ path: PACK_DIR, type: 'dir', size: null, digest: null, linkname: null });
  yield* file(DOCKERFILE_MEMBER, content.dockerfile);
  yield* file(README_MEMBER, content.readme(written));

  yield header({ name: CONTEXT_MEMBER, typeflag: TypeFlag.file, mode: 0o644, size: content.context.size, mtime: content.mtime, linkname: '' });
  let contextBytes = 0;
  for await (const chunk of content.context.stream) {
    contextBytes += chunk.length;
    if (contextBytes > content.context.size) break;
    const waiting = worker.update(chunk);
    if (waiting !== undefined) await waiting;
    yield count(chunk);
  }
  const contextDigest = await worker.digest();
  if (contextBytes !== content.context.size) {
    throw new PackError('ARCHIVE_CONTEXT_CHANGED', `the build context came out ${contextBytes} bytes long instead of ${content.context.size} while it was archived`, {
      hint: 'a file changed while pack was reading it; run pack archive again',
    });
  }
  const padding = blockPadding(content.context.size);
  if (padding > 0) yield count(Buffer.alloc(padding));
  if (content.expectedContextDigest !== undefined && contextDigest !== content.expectedContextDigest) {
    throw new PackError(
      'ARCHIVE_CONTEXT_CHANGED',
      `the project changed between the build and the archive: the context tar is ${contextDigest}, the build sent ${content.expectedContextDigest}`,
      { hint: 'run pack archive again without editing the project meanwhile' },
    );
  }
  members.push({ path: CONTEXT_MEMBER, type: 'file', size: content.context.size, digest: contextDigest, linkname: null });

  const manifest = content.manifest({
    ...written,
    members: [...members],
    dockerfileDigest: sha256(content.dockerfile),
    context: { digest: contextDigest, size: content.context.size },
  });
  const manifestBytes = serializeManifest(manifest);
  yield* file(MANIFEST_MEMBER, manifestBytes);
  yield* file(SUMS_MEMBER, sha256sums(members));
  yield count(Buffer.alloc(END_OF_ARCHIVE_SIZE));
  summary.manifest = manifest;
  summary.manifestDigest = sha256(manifestBytes);
}

const NOTHING = Buffer.alloc(0);

function recordOf(member: DigestedMember): ArchiveMember {
  const type = member.type === 'file' || member.type === 'dir' || member.type === 'symlink' || member.type === 'hardlink' ? member.type : undefined;
  if (type === undefined) {
    throw new PackError('ARCHIVE_SAVE_INVALID', `the engine's image stream holds ${member.name}, a ${member.type}, which docker save never writes`);
  }
  return {
    path: member.name,
    type,
    size: type === 'file' ? member.size : null,
    digest: type === 'file' ? (member.digest ?? null) : null,
    linkname: type === 'symlink' || type === 'hardlink' ? member.linkname : null,
  };
}

/** sha256sum(1) check lines for every regular file (names with a newline or backslash left out: sha256sum would escape them). */
export function sha256sums(members: readonly ArchiveMember[]): Buffer {
  const lines = members
    .filter((member) => member.type === 'file' && member.digest !== null && !/[\n\\]/.test(member.path))
    .map((member) => `${(member.digest as string).slice('sha256:'.length)}  ${member.path}\n`);
  return Buffer.from(lines.join(''), 'utf8');
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
