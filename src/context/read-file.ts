/**
 * Reading context files for the tar encoder: whole small files in one read, large files in
 * bounded chunks. Both check that the file still has the size the walker saw, because the tar
 * header carrying that size is already written: a file that grew or shrank in between would
 * otherwise make a corrupt archive (Go's tar writer fails with ErrWriteTooLong/"missed writing"
 * in the same situation; Docker's CLI then sends a broken context).
 */
import * as fs from 'node:fs';
import { PackError, errnoCode } from '../errors.js';

/**
 * O_NOFOLLOW: a file swapped for a symlink after the walk must not be followed (it could point
 * anywhere on the machine). O_NONBLOCK: a file swapped for a FIFO must not block a libuv thread
 * forever; on regular files it changes nothing.
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
    case 'EAGAIN':
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
 * Reads a whole file of a known, non-zero size: open, one read of size+1 bytes (the extra byte
 * detects growth without another call), close. Callback fs keeps it to three thread-pool round
 * trips and one promise, which matters for tens of thousands of small files.
 * `path` names the file in messages (its context path); `source` is where it is on disk.
 */
export function readWholeFile(source: string, size: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(source, OPEN_FLAGS, (openError, fd) => {
      if (openError) {
        reject(unreadableError(path, openError));
        return;
      }
      const buffer = Buffer.allocUnsafe(size + 1);
      let filled = 0;
      const finish = (error?: PackError): void => {
        fs.close(fd, () => (error ? reject(error) : resolve(buffer.subarray(0, size))));
      };
      const step = (): void => {
        const wanted = buffer.length - filled;
        fs.read(fd, buffer, filled, wanted, filled, (readError, n) => {
          if (readError) return finish(unreadableError(path, readError));
          filled += n;
          if (filled > size) return finish(grewError(path, size));
          // A short read of a regular file means end of file.
          if (n === 0 || n < wanted) {
            return finish(filled === size ? undefined : shrankError(path, size, filled));
          }
          step();
        });
      };
      step();
    });
  });
}

/**
 * Streams a large file of a known size in chunks of `chunkSize` bytes (fresh buffers, since the
 * consumer may keep them). Holds at most one chunk; the descriptor is closed when the generator
 * finishes, fails or is returned early (an aborted stream).
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
