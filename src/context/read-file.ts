/**
 * Reading context files for the tar encoder: whole small files in one synchronous read, large
 * files in bounded asynchronous chunks. Both check that the file still has the size the walker
 * saw, because the tar header carrying that size is already written: a file that grew or shrank
 * in between would otherwise make a corrupt archive. (Go's tar writer fails with
 * ErrWriteTooLong or "missed writing" there; moby's TarWithOptions only logs it and carries on,
 * so Docker's CLI sends a broken context. We stop with an error naming the file.)
 */
import * as fs from 'node:fs';
import { PackError, errnoCode } from '../errors.js';

/**
 * O_NOFOLLOW: a file swapped for a symlink after the walk must not be followed (it could point
 * anywhere on the machine). O_NONBLOCK: a file swapped for a FIFO must not block pack forever
 * on open; on regular files it changes nothing.
 */
const OPEN_FLAGS =
  fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

const CHANGED_HINT = 'something modified the project while pack was reading it; run pack again once it is quiet';

/** The file at `path` could not be opened or read. */
export function unreadableError(path: string, cause: unknown): PackError {
  const code = errnoCode(cause);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new PackError('CONTEXT_UNREADABLE', `cannot read ${path}: permission denied`, {
        hint: 'make it readable by the user running pack, or exclude it in .dockerignore',
        cause,
      });
    case 'ENOENT':
      return new PackError('CONTEXT_UNREADABLE', `cannot read ${path}: it was deleted while packing`, {
        hint: CHANGED_HINT,
        cause,
      });
    case 'ELOOP':
      return changedError(path, 'it is now a symbolic link', cause);
    case 'EISDIR':
      return changedError(path, 'it is now a directory', cause);
    // A FIFO opened without blocking: nothing to read (EAGAIN), or no positioned reads (ESPIPE).
    case 'EAGAIN':
    case 'ESPIPE':
      return changedError(path, 'it is no longer a regular file', cause);
    default: {
      const detail = cause instanceof Error ? cause.message : String(cause);
      return new PackError('CONTEXT_UNREADABLE', `cannot read ${path}: ${detail}`, { cause });
    }
  }
}

/** The file at `path` is not what the walker saw any more. */
export function changedError(path: string, detail: string, cause?: unknown): PackError {
  return new PackError('CONTEXT_CHANGED', `${path} changed while packing: ${detail}`, {
    hint: CHANGED_HINT,
    cause,
  });
}

function grewError(path: string, size: number): PackError {
  return changedError(path, `it grew beyond the ${size} bytes it had when listed`);
}

function shrankError(path: string, size: number, actual: number): PackError {
  return changedError(path, `it shrank to ${actual} of the ${size} bytes it had when listed`);
}

/**
 * Reads a whole file of a known, non-zero size into `target` at `offset` (which must have room for
 * size + 1 bytes): open, one read of size+1 bytes (the extra byte detects growth without another
 * call), close. Synchronous on purpose: for tens of thousands of small files the three system
 * calls cost a few microseconds, while a round trip through libuv's thread pool per call costs
 * ten times that; the encoder bounds how much it reads between yields to the event loop.
 * `path` names the file in messages (its context path); `source` is where it is on disk.
 */
export function readFileIntoSync(
  source: string,
  size: number,
  path: string,
  target: Buffer,
  offset: number,
): void {
  let fd: number;
  try {
    fd = fs.openSync(source, OPEN_FLAGS);
  } catch (error) {
    throw unreadableError(path, error);
  }
  try {
    let filled = 0;
    for (;;) {
      const wanted = size + 1 - filled;
      let n: number;
      try {
        n = fs.readSync(fd, target, offset + filled, wanted, filled);
      } catch (error) {
        throw unreadableError(path, error);
      }
      filled += n;
      if (filled > size) throw grewError(path, size);
      // A short read of a regular file means end of file.
      if (n === 0 || n < wanted) {
        if (filled !== size) throw shrankError(path, size, filled);
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Streams a large file of a known size in chunks of `chunkSize` bytes, each in a fresh buffer
 * (the consumer may keep them). Holds at most one chunk; the descriptor is closed when the
 * generator finishes, fails or is returned early (an aborted stream).
 */
export async function* readFileChunks(
  source: string,
  size: number,
  path: string,
  chunkSize: number,
): AsyncGenerator<Buffer, void, undefined> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(source, OPEN_FLAGS);
  } catch (error) {
    throw unreadableError(path, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw changedError(path, 'it is no longer a regular file');
    if (stat.size < size) throw shrankError(path, size, stat.size);
    if (stat.size > size) throw grewError(path, size);
    let position = 0;
    while (position < size) {
      const remaining = size - position;
      const last = remaining <= chunkSize;
      // The last read asks for one byte more than expected, to see growth without another call.
      const buffer = Buffer.allocUnsafe(last ? remaining + 1 : chunkSize);
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buffer, 0, buffer.length, position));
      } catch (error) {
        throw unreadableError(path, error);
      }
      if (n === 0) throw shrankError(path, size, position);
      if (position + n > size) throw grewError(path, size);
      position += n;
      yield n === buffer.length ? buffer : buffer.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}
