/**
 * An archive file opened for reading: gzip recognised by its magic bytes (not by the file name,
 * which the user may have changed) and undone on the way, the bytes read from disk counted for
 * progress. Reading never writes anything anywhere.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UsageError, errnoCode } from '../errors.js';

export interface OpenedArchive {
  readonly path: string;
  readonly gzip: boolean;
  /** Size of the file on disk. */
  readonly size: number;
  /** The tar's bytes (after gunzip). Errors of gunzip carry a zlib `code` (Z_DATA_ERROR, Z_BUF_ERROR). */
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes read from the file so far. */
  bytesRead(): number;
}

const READ_CHUNK = 1024 * 1024;

export async function openArchive(path: string, options: { signal?: AbortSignal } = {}): Promise<OpenedArchive> {
  let size: number;
  let magic: Buffer;
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = stats.size;
    const handle = await open(path, 'r');
    try {
      magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = errnoCode(error);
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new UsageError('ARCHIVE_UNREADABLE', `cannot read archive ${path}: ${reason}`, { cause: error, hint: 'give the path of a file written by pack archive' });
  }
  const gzip = size >= 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const file = createReadStream(path, { highWaterMark: READ_CHUNK, ...(options.signal ? { signal: options.signal } : {}) });
  let read = 0;
  file.on('data', (chunk: Buffer | string) => {
    read += chunk.length;
  });
  let chunks: AsyncIterable<Buffer> = file as AsyncIterable<Buffer>;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    // pipeline destroys the gunzip stream with the file's error (and the other way round), so a
    // read failure surfaces in the loop that consumes the chunks.
    pipeline(file, gunzip, () => {});
    chunks = gunzip as AsyncIterable<Buffer>;
  }
  return { path, gzip, size, chunks, bytesRead: () => read };
}
