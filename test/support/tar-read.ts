/**
 * Reads a tar archive (a build context, an image layer, a `docker save` file) into plain records
 * that tests can compare: one record per logical member, in stream order.
 *
 * Two layers:
 *  - tar-stream's extract gives the logical members (PAX and GNU long-name headers folded in);
 *  - a small block scanner over the raw bytes gives the physical facts tar-stream hides: which
 *    header magic each member used, whether the last member was padded to 512 bytes and how many
 *    zero blocks end the archive. The legacy docker CLI sends a context without padding and
 *    trailer when it injects a Dockerfile from outside the context (docker/cli
 *    AddDockerfileToBuildContext → moby ReplaceFileTarWrapper closes the pipe before the tar
 *    writer), and the daemon accepts it; tests of that case must be able to say so explicitly.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

const BLOCK = 512;

export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'directory'
  | 'block-device'
  | 'character-device'
  | 'fifo'
  | 'contiguous-file';

/** Header magic of the member's own header block (not of a PAX/GNU extension header before it). */
export type TarHeaderFormat = 'posix' | 'gnu' | 'v7';

export interface TarEntry {
  /** Name as stored (PAX `path` applied), e.g. `sub/` for a directory written with a slash. */
  path: string;
  type: TarEntryType;
  /** Permission bits and special bits (setuid/setgid/sticky), without the file-type bits. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch (PAX `mtime` applied, fraction dropped). */
  mtime: number;
  /** Target of a symlink or hard link; '' for other members. */
  linkname: string;
  /** sha256 (hex) of the member's content; the hash of no bytes for members without content. */
  sha256: string;
  /** Keys of the PAX extended header that preceded this member (sorted), when there was one. */
  paxKeys?: string[];
  format: TarHeaderFormat;
}

export interface TarStructure {
  /** Bytes of the archive as read (after gunzip when `gzip` is true). */
  bytes: number;
  gzip: boolean;
  /** False when the stream ended right after the last member's data, before its 512-byte padding. */
  lastMemberPadded: boolean;
  /** Zero blocks after the last member; POSIX asks for at least 2 (Go's tar writer writes exactly 2). */
  trailerZeroBlocks: number;
  /** Bytes after the last member that are neither padding nor zero blocks (should be 0). */
  trailingGarbage: number;
}

export interface TarReadResult {
  entries: TarEntry[];
  structure: TarStructure;
}

export interface ReadTarOptions {
  /**
   * Accept an archive that stops right after the last member's data (no padding, no zero blocks),
   * as the legacy docker CLI sends when it injects an outside Dockerfile. Member data itself must
   * still be complete. Off by default so a truncated archive from our own encoder fails loudly.
   */
  allowMissingTrailer?: boolean;
}

type TarSource = string | Buffer | Readable;

async function collect(source: TarSource): Promise<Buffer> {
  if (typeof source === 'string') return readFile(source);
  if (Buffer.isBuffer(source)) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function isZeroBlock(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function headerNumber(buf: Buffer, offset: number, length: number): number {
  const first = buf[offset] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (buf[offset + i] ?? 0);
    return value;
  }
  const text = buf.toString('latin1', offset, offset + length).replace(/[\0 ].*$/s, '').trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function headerFormat(buf: Buffer, offset: number): TarHeaderFormat {
  const magic = buf.toString('latin1', offset + 257, offset + 265);
  if (magic === 'ustar\u000000') return 'posix';
  if (magic === 'ustar  \u0000') return 'gnu';
  return 'v7';
}

interface PhysicalScan {
  /** Header format of each logical member, in order. */
  formats: TarHeaderFormat[];
  structure: Omit<TarStructure, 'bytes' | 'gzip'>;
  /** Bytes to append so that tar-stream sees a complete archive (only when padding/trailer is missing). */
  missingTail: number;
}

/** Walks header blocks to learn what tar-stream does not report. Throws when member data is cut short. */
function scanBlocks(buf: Buffer): PhysicalScan {
  const formats: TarHeaderFormat[] = [];
  let offset = 0;
  let lastMemberPadded = true;
  while (offset + BLOCK <= buf.length && !isZeroBlock(buf, offset)) {
    const typeflag = String.fromCharCode(buf[offset + 156] ?? 0);
    const size = headerNumber(buf, offset + 124, 12);
    // Extension headers (PAX x/g, GNU L/K) describe the next member; they are not members.
    if (!['x', 'g', 'L', 'K'].includes(typeflag)) formats.push(headerFormat(buf, offset));
    const dataEnd = offset + BLOCK + size;
    const paddedEnd = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (dataEnd > buf.length) {
      throw new Error(`tar member at byte ${offset} declares ${size} bytes but the archive ends at byte ${buf.length}`);
    }
    if (paddedEnd > buf.length) {
      if (buf.length !== dataEnd) throw new Error(`tar archive ends inside the padding of the member at byte ${offset}`);
      lastMemberPadded = false;
      offset = buf.length;
      break;
    }
    offset = paddedEnd;
  }
  if (offset < buf.length && offset + BLOCK > buf.length) {
    throw new Error(`tar archive has a partial header block at byte ${offset} (archive is ${buf.length} bytes)`);
  }
  let trailerZeroBlocks = 0;
  while (offset + BLOCK <= buf.length && isZeroBlock(buf, offset)) {
    trailerZeroBlocks++;
    offset += BLOCK;
  }
  const trailingGarbage = buf.length - offset;
  const missingTail = lastMemberPadded
    ? Math.max(0, 2 - trailerZeroBlocks) * BLOCK
    : (BLOCK - (buf.length % BLOCK)) % BLOCK + 2 * BLOCK;
  return { formats, structure: { lastMemberPadded, trailerZeroBlocks, trailingGarbage }, missingTail };
}

function paxRecord(pax: unknown): Record<string, string> | undefined {
  if (pax === null || typeof pax !== 'object') return undefined;
  return pax as Record<string, string>;
}

/** Reads every member with its content hash and the archive's physical ending. Gzip is undone first. */
export async function readTar(source: TarSource, options: ReadTarOptions = {}): Promise<TarReadResult> {
  const raw = await collect(source);
  const gzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const buf = gzip ? gunzipSync(raw) : raw;
  const scan = scanBlocks(buf);
  const structure: TarStructure = { bytes: buf.length, gzip, ...scan.structure };
  const complete = structure.lastMemberPadded && structure.trailerZeroBlocks >= 2;
  if (!complete && !options.allowMissingTrailer && buf.length > 0) {
    throw new Error(
      `tar archive is not terminated: last member padded=${structure.lastMemberPadded}, ` +
        `${structure.trailerZeroBlocks} zero blocks at the end (POSIX wants 2); ` +
        'pass { allowMissingTrailer: true } only for archives known to be sent that way',
    );
  }
  // tar-stream rejects an archive without padding ("Unexpected end of data"), so give it one.
  const input = scan.missingTail > 0 ? Buffer.concat([buf, Buffer.alloc(scan.missingTail)]) : buf;

  const entries: TarEntry[] = [];
  const extractor = extract();
  const parsing = (async () => {
    for await (const entry of extractor) {
      const header = entry.header;
      const hash = createHash('sha256');
      for await (const chunk of entry) hash.update(chunk as Buffer);
      const pax = paxRecord(header.pax);
      const format = scan.formats[entries.length];
      if (format === undefined) throw new Error(`tar-stream reported more members than the block scan found (${scan.formats.length})`);
      const mtimeSeconds = pax?.mtime !== undefined ? Math.floor(Number.parseFloat(pax.mtime)) : Math.floor(header.mtime.getTime() / 1000);
      const record: TarEntry = {
        path: header.name,
        type: header.type,
        mode: header.mode & 0o7777,
        size: header.size,
        uid: pax?.uid !== undefined ? Number(pax.uid) : header.uid,
        gid: pax?.gid !== undefined ? Number(pax.gid) : header.gid,
        uname: pax?.uname ?? header.uname ?? '',
        gname: pax?.gname ?? header.gname ?? '',
        mtime: mtimeSeconds,
        linkname: header.linkname ?? '',
        sha256: hash.digest('hex'),
        format,
      };
      if (pax !== undefined) record.paxKeys = Object.keys(pax).sort();
      entries.push(record);
    }
  })();
  extractor.end(input);
  await parsing;
  if (entries.length !== scan.formats.length) {
    throw new Error(`tar-stream reported ${entries.length} members but the block scan found ${scan.formats.length}`);
  }
  return { entries, structure };
}

/** Members in stream order. Throws on an unterminated archive unless `allowMissingTrailer` is set. */
export async function readTarEntries(source: TarSource, options: ReadTarOptions = {}): Promise<TarEntry[]> {
  return (await readTar(source, options)).entries;
}

/**
 * For comparing two contexts regardless of walk order and of how directories were spelled:
 * trailing slashes stripped, sorted by path (byte order, as Go sorts strings).
 */
export function normalizeEntries<T extends { path: string }>(list: readonly T[]): T[] {
  return list
    .map((entry) => ({ ...entry, path: entry.path.replace(/\/+$/, '') }))
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
