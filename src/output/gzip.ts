/**
 * gzip for `pack context --gzip`, with bytes that depend only on the input and the level.
 *
 * Node's gzip header (zlib's deflate.c) is already free of anything machine- or time-dependent
 * except one byte: MTIME is 0 and there is no file name, but the OS byte is zlib's compile-time
 * OS_CODE, 3 ("Unix") on Linux and macOS builds and 10 on Windows. We pin it to 3, which is also
 * what `gzip -n` writes on Unix. XFL (byte 8) follows the level (4 for level 1, 2 for 9, else 0).
 * The compressed data itself comes from the zlib bundled with Node, so it is stable for a given
 * Node version; the archive's identity is the sha256 of the uncompressed tar, not of this.
 */
import { createGzip, type Gzip } from 'node:zlib';

/** Byte 9 of a gzip member header (RFC 1952): the operating system it was made on. */
const OS_OFFSET = 9;
const OS_UNIX = 3;

export interface GzipOptions {
  /** zlib level, 1 (fast) to 9 (small); default 6, as gzip(1). */
  readonly level?: number;
}

export function gzipStream(options: GzipOptions = {}): Gzip {
  const gzip = createGzip({ level: options.level ?? 6 });
  // zlib writes the 10-byte header at the start of its first output chunk (its output buffer is
  // 16 KiB), and Node never reuses a chunk once pushed, so patching that chunk in place is safe.
  let headerSeen = false;
  const push = gzip.push.bind(gzip);
  gzip.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (!headerSeen && Buffer.isBuffer(chunk) && chunk.length > OS_OFFSET) {
      headerSeen = true;
      chunk[OS_OFFSET] = OS_UNIX;
    }
    return push(chunk, encoding);
  };
  return gzip;
}
