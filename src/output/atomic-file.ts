/**
 * Output files appear complete or not at all: the stream goes to `<dest>.partial-<random>` in the
 * same directory (so the final rename stays on one file system and is atomic), is fsynced, then
 * renamed onto `dest`. On any failure or abort the partial file is removed and the error
 * rethrown; an existing `dest` is left untouched until the rename. (A process killed outright
 * can leave a `.partial-…` file, which is named so nobody takes it for the real thing.)
 * `dest === '-'` (stdout) is the caller's business.
 */
import { randomBytes } from 'node:crypto';
import { close, createWriteStream, fsync, open as openFd } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
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
    const sink = createWriteStream(partial, { fd, autoClose: false, emitClose: false });
    sink.once('error', (error) => {
      failedWriting = error;
    });
    const pipelineOptions = options.signal === undefined ? {} : { signal: options.signal };
    if (options.transform === undefined) await pipeline(source, sink, pipelineOptions);
    else await pipeline(source, options.transform, sink, pipelineOptions);
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
