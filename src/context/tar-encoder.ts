/**
 * Turns a sorted list of context entries into the tar Docker's legacy CLI would send
 * (`docker build` → moby/go-archive `TarWithOptions` with `ChownOpts{0,0}` → Go's archive/tar):
 * same member order as given, Go's header bytes (see tar-header.ts), uid/gid 0, no user names,
 * mtimes in whole seconds, two zero blocks at the end. The same entries give the same bytes.
 *
 * Streaming: the archive is produced on demand (a pull-based Readable) so memory stays bounded
 * however large the context is. Small files are read whole, a bounded number ahead of the one
 * being written so the thread pool reads in parallel while the output keeps Docker's order;
 * large files are read in chunks only as fast as the consumer takes them.
 */
import { createHash } from 'node:crypto';
import { Readable, addAbortSignal } from 'node:stream';
import type { ContextEntry } from './entry.js';
import { PackError } from '../errors.js';
import { silent, type Emit } from '../progress/events.js';
import { readFileChunks, readWholeFile } from './read-file.js';
import {
  END_OF_ARCHIVE_SIZE,
  TypeFlag,
  blockPadding,
  encodeTarHeader,
  tarHeaderSize,
  type TarHeader,
} from './tar-header.js';

export interface TarContextOptions {
  /**
   * SOURCE_DATE_EPOCH in seconds: every mtime becomes min(mtime, epoch), as BuildKit and
   * `tar --clamp-mtime` do, so a tree gives the same bytes on any machine and any checkout time.
   */
  readonly sourceDateEpoch?: number;
  /** Aborting destroys the stream with an AbortError and closes every open file. */
  readonly signal?: AbortSignal;
  /** Receives `context.progress` now and then and `context.done` (with the tar's sha256) at the end. */
  readonly emit?: Emit;
}

/** Files up to this size are read whole with one read; larger ones are streamed in chunks. */
export const SMALL_FILE_MAX = 256 * 1024;
/** Chunk size for large files (and the Readable's buffer): few calls, bounded memory. */
const CHUNK_SIZE = 1024 * 1024;
/** Read-ahead window for small files: at most this many entries and this many bytes in memory. */
const READ_AHEAD_ENTRIES = 32;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** Small members are gathered into pieces of about this size before they are pushed. */
const BATCH_SIZE = 256 * 1024;
/** Progress events at most every this many members or bytes. */
const PROGRESS_ENTRIES = 64;
const PROGRESS_BYTES = 8 * 1024 * 1024;

/**
 * The tar stream for `entries` (already in Docker's order: depth-first, names sorted bytewise,
 * hard links resolved, sockets dropped). Errors destroy the stream with a PackError naming the
 * member (`CONTEXT_UNREADABLE`, `CONTEXT_CHANGED`, `CONTEXT_ENTRY_INVALID`).
 */
export function tarContext(
  entries: AsyncIterable<ContextEntry> | Iterable<ContextEntry>,
  options: TarContextOptions = {},
): Readable {
  // A list given whole lets progress show a total; an invalid entry fails later, on the stream.
  let totalBytes: number | undefined;
  try {
    if (Array.isArray(entries)) totalBytes = tarSize(entries as readonly ContextEntry[], options.sourceDateEpoch);
  } catch {
    totalBytes = undefined;
  }
  const stream = Readable.from(encode(entries, options, totalBytes), {
    objectMode: false,
    highWaterMark: CHUNK_SIZE,
  });
  if (options.signal !== undefined) addAbortSignal(options.signal, stream);
  return stream;
}

/** The exact length of the archive `tarContext` writes for these entries. */
export function tarSize(entries: Iterable<ContextEntry>, sourceDateEpoch?: number): number {
  let total = END_OF_ARCHIVE_SIZE;
  for (const entry of entries) {
    const header = headerFor(entry, sourceDateEpoch);
    total += tarHeaderSize(header) + header.size + blockPadding(header.size);
  }
  return total;
}

/** The header Go's `FileInfoHeader` + moby's `addTarFile` would build for this entry. */
export function headerFor(entry: ContextEntry, sourceDateEpoch?: number): TarHeader {
  const mtime = Math.floor(
    sourceDateEpoch === undefined ? entry.mtime : Math.min(entry.mtime, sourceDateEpoch),
  );
  const mode = entry.mode & 0o7777;
  switch (entry.type) {
    case 'file':
      return {
        name: entry.path,
        typeflag: TypeFlag.file,
        mode,
        size: entry.content?.length ?? entry.size,
        mtime,
        linkname: '',
      };
    case 'dir':
      return {
        name: entry.path.endsWith('/') ? entry.path : `${entry.path}/`,
        typeflag: TypeFlag.dir,
        mode,
        size: 0,
        mtime,
        linkname: '',
      };
    case 'symlink':
      return { name: entry.path, typeflag: TypeFlag.symlink, mode, size: 0, mtime, linkname: linkOf(entry) };
    case 'hardlink':
      return { name: entry.path, typeflag: TypeFlag.hardlink, mode, size: 0, mtime, linkname: linkOf(entry) };
    case 'fifo':
      return { name: entry.path, typeflag: TypeFlag.fifo, mode, size: 0, mtime, linkname: '' };
  }
}

function linkOf(entry: ContextEntry): string {
  if (entry.linkname === undefined) {
    throw new PackError('CONTEXT_ENTRY_INVALID', `${entry.path}: ${entry.type} entry without a link target`);
  }
  return entry.linkname;
}

/** One member waiting to be written, with its content being read ahead when it is small. */
interface Pending {
  readonly entry: ContextEntry;
  readonly header: TarHeader;
  /** Whole content (from memory, or a read in flight); undefined when there is none or it is streamed. */
  readonly data: Buffer | Promise<Buffer> | undefined;
  /** Bytes this member holds in the read-ahead window. */
  readonly reserved: number;
}

function ignore(): void {}

/**
 * Pulls entries from the walker in order and starts reading small files a bounded distance ahead.
 * Reads run in libuv's pool in parallel; results are taken strictly in entry order.
 */
class ReadAhead {
  private readonly queue: Pending[] = [];
  private reservedBytes = 0;
  private exhausted = false;
  private readonly iterator: AsyncIterator<ContextEntry> | Iterator<ContextEntry>;

  constructor(
    entries: AsyncIterable<ContextEntry> | Iterable<ContextEntry>,
    private readonly sourceDateEpoch: number | undefined,
  ) {
    this.iterator =
      Symbol.asyncIterator in entries
        ? entries[Symbol.asyncIterator]()
        : (entries as Iterable<ContextEntry>)[Symbol.iterator]();
  }

  async next(): Promise<Pending | undefined> {
    while (
      !this.exhausted &&
      this.queue.length < READ_AHEAD_ENTRIES &&
      this.reservedBytes < READ_AHEAD_BYTES
    ) {
      const result = await this.iterator.next();
      if (result.done === true) {
        this.exhausted = true;
        break;
      }
      const pending = this.start(result.value);
      this.queue.push(pending);
      this.reservedBytes += pending.reserved;
    }
    const pending = this.queue.shift();
    if (pending !== undefined) this.reservedBytes -= pending.reserved;
    return pending;
  }

  private start(entry: ContextEntry): Pending {
    const header = headerFor(entry, this.sourceDateEpoch);
    if (entry.type !== 'file') return { entry, header, data: undefined, reserved: 0 };
    if (entry.content !== undefined) return { entry, header, data: entry.content, reserved: 0 };
    if (entry.size === 0) {
      // Go's addTarFile opens a regular file only when its size is non-zero; so do we.
      return { entry, header, data: Buffer.alloc(0), reserved: 0 };
    }
    if (entry.source === undefined) {
      throw new PackError(
        'CONTEXT_ENTRY_INVALID',
        `${entry.path}: file entry with neither a source path nor content`,
      );
    }
    if (entry.size > SMALL_FILE_MAX) return { entry, header, data: undefined, reserved: 0 };
    const data = readWholeFile(entry.source, entry.size, entry.path);
    // Failures surface when this member's turn comes; until then the rejection is expected.
    data.catch(ignore);
    return { entry, header, data, reserved: entry.size };
  }

  /** Stops the walker and waits for reads in flight, so no descriptor outlives the stream. */
  async close(): Promise<void> {
    const reads = this.queue.splice(0).map((pending) => pending.data);
    if (!this.exhausted) {
      this.exhausted = true;
      await this.iterator.return?.();
    }
    await Promise.allSettled(reads);
  }
}

/** Small pieces (headers, small files, padding) gathered into larger buffers before pushing. */
class Batch {
  private parts: Buffer[] = [];
  length = 0;

  add(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.parts.push(buffer);
    this.length += buffer.length;
  }

  pad(size: number): void {
    const padding = blockPadding(size);
    if (padding > 0) this.add(Buffer.alloc(padding));
  }

  take(): Buffer {
    const out = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return out;
  }
}

async function* encode(
  entries: AsyncIterable<ContextEntry> | Iterable<ContextEntry>,
  options: TarContextOptions,
  totalBytes: number | undefined,
): AsyncGenerator<Buffer, void, undefined> {
  const emit = options.emit ?? silent;
  const hash = createHash('sha256');
  let bytes = 0;
  let files = 0;
  let reportedFiles = 0;
  let reportedBytes = 0;
  // Everything pushed goes through here, so the digest is of exactly the bytes sent.
  const counted = (buffer: Buffer): Buffer => {
    hash.update(buffer);
    bytes += buffer.length;
    return buffer;
  };
  const batch = new Batch();
  const ahead = new ReadAhead(entries, options.sourceDateEpoch);
  try {
    for (let pending = await ahead.next(); pending !== undefined; pending = await ahead.next()) {
      const { entry, header } = pending;
      batch.add(encodeTarHeader(header));
      if (pending.data !== undefined) {
        batch.add(await pending.data);
        batch.pad(header.size);
      } else if (header.typeflag === TypeFlag.file && header.size > 0) {
        // A large file: flush what is gathered, then pass its chunks straight through.
        if (batch.length > 0) yield counted(batch.take());
        for await (const chunk of readFileChunks(entry.source as string, header.size, entry.path, CHUNK_SIZE)) {
          yield counted(chunk);
        }
        batch.pad(header.size);
      }
      files++;
      if (batch.length >= BATCH_SIZE) yield counted(batch.take());
      if (files - reportedFiles >= PROGRESS_ENTRIES || bytes - reportedBytes >= PROGRESS_BYTES) {
        reportedFiles = files;
        reportedBytes = bytes;
        emit({ type: 'context.progress', files, bytes, totalBytes });
      }
    }
    batch.add(Buffer.alloc(END_OF_ARCHIVE_SIZE));
    const last = counted(batch.take());
    emit({ type: 'context.progress', files, bytes, totalBytes });
    emit({ type: 'context.done', files, bytes, sha256: hash.digest('hex') });
    yield last;
  } finally {
    await ahead.close();
  }
}
