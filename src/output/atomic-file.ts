/**
 * Output files appear complete or not at all: the stream goes to `<dest>.partial-<random>` in the
 * same directory (so the final rename stays on one file system and is atomic), is fsynced, then
 * renamed onto `dest`. On any failure or abort the partial file is removed and the error
 * rethrown; an existing `dest` is left untouched until the rename. (A process killed outright
 * can leave a `.partial-…` file, which is named so nobody takes it for the real thing.)
 * `dest === '-'` (stdout) is the caller's business.
 */
import { randomBytes } from 'node:crypto';
import { close, createWriteStream, fdatasync, fsync, open as openFd } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { PackError, errnoCode } from '../errors.js';

const openAsync = promisify(openFd);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

export interface WriteFileAtomicallyOptions {
  /** Aborting stops the copy, removes the partial file and rejects with an AbortError. */
  readonly signal?: AbortSignal;
  /** Permission bits for the new file, before the umask (default 0o666, like any new file). */
  readonly mode?: number;
  /**
   * A stage between source and file, e.g. `gzipStream()`. Pass it here rather than
   * `source.pipe(stage)`: pipe() does not forward the source's errors, so a failing tar would be
   * an uncaught exception and the partial file would stay behind.
   */
  readonly transform?: Duplex;
  /**
   * Starts an fdatasync in the background each time this many more bytes have gone to the file,
   * so that the disk writes while the stream still flows and the final fsync waits only for the
   * tail (a GB of dirty pages flushed at the end takes about a second). For large outputs.
   */
  readonly syncEveryBytes?: number;
}

export async function writeFileAtomically(
  dest: string,
  source: Readable,
  options: WriteFileAtomicallyOptions = {},
): Promise<{ bytes: number }> {
  const partial = `${dest}.partial-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    options.signal?.throwIfAborted();
    // 'wx': never reuse or follow something already there.
    fd = await openAsync(partial, 'wx', options.mode ?? 0o666);
  } catch (error) {
    source.destroy();
    options.transform?.destroy();
    throw writeError(dest, error);
  }
  let failedWriting: unknown;
  const ownCalls = new WeakSet<object>();
  const own = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      if (typeof error === 'object' && error !== null) ownCalls.add(error);
      throw error;
    });
  try {
    // A raw descriptor rather than a FileHandle: a FileHandle's close() waits for every stream
    // made from it to be destroyed, and we need to fsync and close it ourselves first.
    // A megabyte of buffer lets queued chunks go out in one writev instead of one write each.
    const sink = createWriteStream(partial, { fd, autoClose: false, emitClose: false, highWaterMark: 1024 * 1024 });
    sink.once('error', (error) => {
      failedWriting = error;
    });
    const pipelineOptions = options.signal === undefined ? {} : { signal: options.signal };
    const sync = options.syncEveryBytes === undefined ? undefined : backgroundSync(fd, options.syncEveryBytes);
    const transform = options.transform;
    try {
      if (transform !== undefined && sync !== undefined) await pipeline(source, transform, sync.stage, sink, pipelineOptions);
      else if (transform !== undefined) await pipeline(source, transform, sink, pipelineOptions);
      else if (sync !== undefined) await pipeline(source, sync.stage, sink, pipelineOptions);
      else await pipeline(source, sink, pipelineOptions);
    } finally {
      // No sync may still run on the descriptor once it is closed (and its number reused).
      await sync?.settled();
    }
    const bytes = sink.bytesWritten;
    const closing = fd;
    await own(fsyncAsync(closing));
    fd = undefined;
    await own(closeAsync(closing));
    await own(rename(partial, dest));
    await syncDirectory(dirname(dest));
    return { bytes };
  } catch (error) {
    if (fd !== undefined) await closeAsync(fd).catch(() => {});
    await unlink(partial).catch(() => {});
    // Errors of the source (a PackError from the tar encoder, an AbortError) pass through as
    // they are; only system-call failures of our own writing are reworded.
    if (isSystemCallError(error) && (error === failedWriting || ownCalls.has(error as object))) {
      throw writeError(dest, error);
    }
    throw error;
  }
}

/** A pass-through stage that starts an fdatasync (one at a time) every `every` bytes; errors are left to the final fsync. */
function backgroundSync(fd: number, every: number): { stage: Transform; settled: () => Promise<void> } {
  let counted = 0;
  let syncedAt = 0;
  let running: Promise<void> | undefined;
  const stage = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counted += chunk.length;
      if (running === undefined && counted - syncedAt >= every) {
        const at = counted;
        running = new Promise((resolve) => {
          fdatasync(fd, () => {
            syncedAt = at;
            running = undefined;
            resolve();
          });
        });
      }
      callback(null, chunk);
    },
  });
  return { stage, settled: async () => await running };
}

/** Node's errors from system calls (ENOSPC, EACCES…) name the call; AbortError and PackError do not. */
function isSystemCallError(error: unknown): boolean {
  return typeof (error as { syscall?: unknown } | null)?.syscall === 'string';
}

function writeError(dest: string, cause: unknown): unknown {
  if (!(cause instanceof Error) || !isSystemCallError(cause)) return cause;
  const reasons: Record<string, [string, string | undefined]> = {
    EACCES: ['permission denied', `choose a directory you can write to, or fix the permissions of ${dirname(dest)}`],
    EPERM: ['permission denied', `choose a directory you can write to, or fix the permissions of ${dirname(dest)}`],
    ENOENT: [`directory ${dirname(dest)} does not exist`, 'create it first, or choose another --output'],
    ENOTDIR: [`${dirname(dest)} is not a directory`, undefined],
    EISDIR: ['it is a directory', `name a file inside it, e.g. ${join(dest, 'context.tar')}`],
    ENOSPC: ['no space left on device', 'free some space, or write somewhere else'],
    EDQUOT: ['disk quota exceeded', 'free some space, or write somewhere else'],
    EROFS: ['read-only file system', 'write somewhere else'],
  };
  const code = errnoCode(cause) as string;
  const [reason, hint] = reasons[code] ?? [cause.message, undefined];
  return new PackError('OUTPUT_WRITE_FAILED', `cannot write ${dest}: ${reason}`, {
    cause,
    ...(hint === undefined ? {} : { hint }),
  });
}

/** Makes the rename itself durable; best effort, as some file systems refuse to fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Nothing to do: the data itself is already synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}
