/**
 * Turns a sorted list of context entries into the tar Docker's legacy CLI would send
 * (`docker build` → moby/go-archive `TarWithOptions` with `ChownOpts{0,0}` → Go's archive/tar):
 * same member order as given, Go's header bytes (see tar-header.ts), uid/gid 0, no user names,
 * mtimes in whole seconds, two zero blocks at the end. The same entries give the same bytes.
 *
 * Streaming: the archive is produced on demand (a pull-based Readable) so memory stays bounded
 * however large the context is. Headers and small files are written straight into zero-filled
 * output buffers (small files with one synchronous read each: see read-file.ts), at most
 * BATCH_SIZE bytes between two yields to the event loop; large files are read asynchronously in
 * chunks, only as fast as the consumer takes them. The SHA-256 of the output is computed as it
 * flows, on a worker thread once the archive is large (../hash-worker.ts).
 */
import { Readable, addAbortSignal } from 'node:stream';
import type { ContextEntry } from './entry.js';
import { PackError } from '../errors.js';
import { silent, type Emit } from '../progress/events.js';
import { readFileChunks, readFileIntoSync } from './read-file.js';
import { HashWorker } from '../hash-worker.js';
import {
  END_OF_ARCHIVE_SIZE,
  TypeFlag,
  blockPadding,
  tarHeaderSize,
  writeTarHeader,
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
  /**
   * Compute the sha256 of the archive (default true). It runs on a second core at ~1.2 GB/s on
   * the reference machine, which bounds throughput for large contexts sent to a fast consumer;
   * callers that do not need the digest can turn it off (`context.done` then has no sha256).
   */
  readonly digest?: boolean;
}

/** Files up to this size are read whole, synchronously; larger ones are streamed in chunks. */
export const SMALL_FILE_MAX = 1024 * 1024;
/** Chunk size for large files. */
const CHUNK_SIZE = 1024 * 1024;
/**
 * The Readable buffers this much, so file reads run ahead while the consumer writes. 4 MiB was
 * no faster (corpus (a) 0.497 vs 0.503 s, (b) 1.185 vs 1.178 s to a file) and held ~18 MB more at
 * peak (138 → 118 MB RSS for (a)): the consumer's own buffer (writeFileAtomically's 1 MiB write
 * buffer, a socket's) already lets the reads run ahead.
 */
const HIGH_WATER_MARK = 1024 * 1024;
/** Headers and small files are gathered into pieces of about this size before they are pushed. */
const BATCH_SIZE = 256 * 1024;
/** Shared output buffers are allocated this large (or larger for one big small file). */
const BUFFER_SIZE = 1024 * 1024;
/**
 * Small files are read synchronously, and Readable.from keeps pulling in microtasks while its
 * buffer has room, so without a break nothing else (a SIGINT handler, progress drawing, the
 * engine's socket) would run until HIGH_WATER_MARK bytes were read: on a cold disk, seconds.
 * Every few members we check the time and give the event loop a turn at least this often.
 * (The clock only paces scheduling; it never reaches the archive.)
 */
const EVENT_LOOP_TURN_MS = 10;
/** Progress events at most every this many members or bytes. */
const PROGRESS_ENTRIES = 64;
const PROGRESS_BYTES = 8 * 1024 * 1024;
/** The digest's shared ring (it bounds what waits to be hashed). */
const DIGEST_RING_SIZE = 8 * 1024 * 1024;
/**
 * The digest's thread starts once the archive passes this size, so that its start (20–40 ms)
 * overlaps with producing the next megabytes; a smaller archive is hashed in place.
 */
const DIGEST_THREAD_AT = 256 * 1024;

/**
 * Entries in order: a list or any iterable of them, or an async iterable of entries or of
 * batches of entries (arrays, as PreparedContext.entryBatches gives them: one asynchronous step
 * per batch instead of one per entry).
 */
export type EntrySource = Iterable<ContextEntry> | AsyncIterable<ContextEntry | readonly ContextEntry[]>;

/**
 * The tar stream for `entries` (already in Docker's order: depth-first, names sorted bytewise,
 * hard links resolved, sockets dropped). Errors destroy the stream with a PackError naming the
 * member (`CONTEXT_UNREADABLE`, `CONTEXT_CHANGED`, `CONTEXT_ENTRY_INVALID`).
 */
export function tarContext(entries: EntrySource, options: TarContextOptions = {}): Readable {
  // A list given whole lets progress show a total; an invalid entry fails later, on the stream.
  let totalBytes: number | undefined;
  try {
    if (Array.isArray(entries)) totalBytes = tarSize(entries as readonly ContextEntry[], options.sourceDateEpoch);
  } catch {
    totalBytes = undefined;
  }
  const stream = Readable.from(encode(entries, options, totalBytes), {
    objectMode: false,
    highWaterMark: HIGH_WATER_MARK,
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

/**
 * Output gathered in zero-filled buffers: headers and small files are written in place and
 * padding is simply left zero, so small members cost no extra copies.
 */
class Output {
  /** The buffer being filled; what follows `used` is still zero. */
  buffer: Buffer = Buffer.alloc(0);
  private used = 0;
  /** Pieces set aside by `reserve` when it needed a fresh buffer, waiting to be pushed. */
  private readonly ready: Buffer[] = [];

  /** Bytes written into `buffer` and not yet taken. */
  get length(): number {
    return this.used;
  }

  /**
   * Makes sure `size` zero-filled bytes follow the output in `buffer`, and returns where they
   * start; they count once committed.
   */
  reserve(size: number): number {
    if (this.used + size > this.buffer.length) {
      this.flush();
      this.buffer = Buffer.alloc(Math.max(BUFFER_SIZE, size));
    }
    return this.used;
  }

  /** Counts `size` bytes written into the last reserved region. */
  commit(size: number): void {
    this.used += size;
  }

  /** Moves what is written so far into the ready queue; the rest of the buffer stays for what comes next. */
  flush(): void {
    if (this.used === 0) return;
    this.ready.push(this.buffer.subarray(0, this.used));
    this.buffer = this.buffer.subarray(this.used);
    this.used = 0;
  }

  /** Takes the pieces ready to push, oldest first. */
  takeReady(): Buffer[] {
    return this.ready.splice(0);
  }
}

function nextEventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isBatch(value: ContextEntry | readonly ContextEntry[]): value is readonly ContextEntry[] {
  return Array.isArray(value);
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function';
}

async function* encode(
  entries: EntrySource,
  options: TarContextOptions,
  totalBytes: number | undefined,
): AsyncGenerator<Buffer, void, undefined> {
  const emit = options.emit ?? silent;
  const digest = options.digest === false ? undefined : new HashWorker({ ringSize: DIGEST_RING_SIZE, startAt: DIGEST_THREAD_AT });
  let bytes = 0;
  let files = 0;
  let reportedFiles = 0;
  let reportedBytes = 0;
  // Everything pushed goes through here, so the digest is of exactly the bytes sent.
  const counted = async (piece: Buffer): Promise<Buffer> => {
    await digest?.update(piece);
    bytes += piece.length;
    return piece;
  };
  const output = new Output();
  const iterator: AsyncIterator<ContextEntry | readonly ContextEntry[]> | Iterator<ContextEntry> =
    Symbol.asyncIterator in entries
      ? entries[Symbol.asyncIterator]()
      : (entries as Iterable<ContextEntry>)[Symbol.iterator]();
  let exhausted = false;
  let lastTurn = performance.now();
  let batch: readonly ContextEntry[] = [];
  let inBatch = 0;
  try {
    for (;;) {
      let entry: ContextEntry;
      if (inBatch < batch.length) {
        entry = batch[inBatch++] as ContextEntry;
      } else {
        const step = iterator.next();
        const result = isPromise(step) ? await step : step;
        if (result.done === true) {
          exhausted = true;
          break;
        }
        if (isBatch(result.value)) {
          batch = result.value;
          inBatch = 0;
          continue;
        }
        entry = result.value;
      }
      const header = headerFor(entry, options.sourceDateEpoch);
      const headerSize = tarHeaderSize(header);
      const size = header.size;
      const streamed = entry.type === 'file' && entry.content === undefined && size > SMALL_FILE_MAX;
      // Header, data and padding, plus one byte for the read that detects a file that grew.
      const inline = streamed ? headerSize : headerSize + size + blockPadding(size) + 1;
      const offset = output.reserve(inline);
      const buffer = output.buffer;
      writeTarHeader(header, buffer, offset);
      if (entry.type === 'file' && size > 0) {
        if (entry.content !== undefined) {
          entry.content.copy(buffer, offset + headerSize);
        } else if (entry.source === undefined) {
          throw new PackError(
            'CONTEXT_ENTRY_INVALID',
            `${entry.path}: file entry with neither a source path nor content`,
          );
        } else if (!streamed) {
          readFileIntoSync(entry.source, size, entry.path, buffer, offset + headerSize);
        }
      }
      if (streamed) {
        output.commit(headerSize);
        output.flush();
        for (const piece of output.takeReady()) yield await counted(piece);
        for await (const chunk of readFileChunks(entry.source as string, size, entry.path, CHUNK_SIZE)) {
          yield await counted(chunk);
        }
        const padding = blockPadding(size);
        output.reserve(padding);
        output.commit(padding);
      } else {
        // The padding (and the spare byte) are still zero: the buffer came zero-filled.
        output.commit(inline - 1);
      }
      files++;
      if (output.length >= BATCH_SIZE) output.flush();
      for (const piece of output.takeReady()) yield await counted(piece);
      if (streamed) {
        lastTurn = performance.now(); // its reads went through the event loop
      } else if ((files & 15) === 0 && performance.now() - lastTurn >= EVENT_LOOP_TURN_MS) {
        await nextEventLoopTurn();
        lastTurn = performance.now();
      }
      if (files - reportedFiles >= PROGRESS_ENTRIES || bytes - reportedBytes >= PROGRESS_BYTES) {
        reportedFiles = files;
        reportedBytes = bytes;
        emit({ type: 'context.progress', files, bytes, totalBytes });
      }
    }
    output.reserve(END_OF_ARCHIVE_SIZE);
    output.commit(END_OF_ARCHIVE_SIZE);
    output.flush();
    for (const piece of output.takeReady()) yield await counted(piece);
    const sha256 = digest === undefined ? undefined : (await digest.digest()).slice('sha256:'.length);
    emit({ type: 'context.progress', files, bytes, totalBytes });
    emit({ type: 'context.done', files, bytes, ...(sha256 === undefined ? {} : { sha256 }) });
  } finally {
    await digest?.close();
    if (!exhausted) await iterator.return?.();
  }
}
