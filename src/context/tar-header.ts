/**
 * Tar header blocks written byte for byte the way Go's archive/tar writes them for the headers
 * Docker builds (moby/go-archive `FileInfoHeader`: `Format = FormatPAX`, uid/gid 0 through
 * `ChownOpts{0,0}`, empty uname/gname, mtime truncated to the second, no atime/ctime).
 *
 * Go chooses USTAR whenever every field fits (names up to 100 bytes, or up to 256 when they can be
 * split into the 155-byte prefix at the *last* slash that fits), and otherwise writes a PAX
 * extended header (`path`, `linkpath`, `size`, `mtime` records, sorted) named
 * `<dir>/PaxHeaders.0/<base>` before a main header that carries ASCII-only, truncated copies of
 * the names. Non-ASCII names always go through PAX. Numbers are zero-padded octal ending in NUL
 * ("0000644\0"), and the checksum field is six digits, NUL, space.
 *
 * tar-stream's encoder differs in all of these details (it pads octal with a space, splits at the
 * first slash, names the PAX header "PaxHeader" and writes that name into the main header too,
 * turns mode 0 into 0755/0644 and writes non-ASCII link targets raw), so we do not use it to
 * write; tests use it and GNU tar to read our output back.
 */

export const BLOCK_SIZE = 512;

/** Go's `tar.Type*` flags for the member kinds a build context can hold. */
export const TypeFlag = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  dir: '5',
  fifo: '6',
} as const;
export type TypeFlag = (typeof TypeFlag)[keyof typeof TypeFlag];

export interface TarHeader {
  /** Member name; directories end with `/` (Go's `canonicalTarName`). */
  readonly name: string;
  readonly typeflag: TypeFlag;
  /** Permission bits including setuid/setgid/sticky; no file-type bits (Go's `FileInfoHeader`). */
  readonly mode: number;
  /** Bytes of data that follow; 0 for every type but regular files. */
  readonly size: number;
  /** Whole seconds since the epoch. */
  readonly mtime: number;
  /** Symlink target or hard-link target name; '' when none. */
  readonly linkname: string;
}

const NAME_SIZE = 100;
const PREFIX_SIZE = 155;

// Field offsets of the ustar header (POSIX.1-1988), as Go's `headerV7`/`headerUSTAR` lay them out.
const OFF_NAME = 0;
const OFF_MODE = 100;
const OFF_UID = 108;
const OFF_GID = 116;
const OFF_SIZE = 124;
const OFF_MTIME = 136;
const OFF_CHKSUM = 148;
const OFF_TYPEFLAG = 156;
const OFF_LINKNAME = 157;
const OFF_MAGIC = 257;
const OFF_DEVMAJOR = 329;
const OFF_DEVMINOR = 337;
const OFF_PREFIX = 345;

/** "ustar\0" + "00": the magic and version Go writes for both USTAR and PAX headers. */
const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1');

/** Go's `fitsInOctal`: non-negative and at most width-1 octal digits (one byte is left for NUL). */
function fitsInOctal(width: number, value: number): boolean {
  return value >= 0 && value < 8 ** (width - 1);
}

/** Go's `isASCII`: every code unit below 0x80 and no NUL. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) return false;
  }
  return true;
}

/** Go's `toASCII`: drop every rune that is not 7-bit (and NUL). */
function toAscii(s: string): string {
  if (isAscii(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80 && c !== 0) out += ch;
  }
  return out;
}

/**
 * Go's `formatString`: copy (truncating), NUL-terminate when there is room, and when a truncated
 * name would end in `/` inside the field, cut it at the last non-slash so buggy readers do not take
 * a regular file for a directory. `s` is ASCII here, so characters are bytes.
 */
function putString(block: Buffer, offset: number, width: number, s: string): void {
  block.write(s.length > width ? s.slice(0, width) : s, offset, 'latin1');
  if (s.length > width && s.charCodeAt(width - 1) === 0x2f) {
    let n = width - 1;
    while (n > 0 && s.charCodeAt(n - 1) === 0x2f) n--;
    block[offset + n] = 0;
  }
}

/** Go's `formatOctal`: zero-padded to width-1 digits, NUL last; a value that does not fit is written as 0. */
function putOctal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = (fitsInOctal(width, value) ? value : 0).toString(8);
  block.write(digits.padStart(width - 1, '0'), offset, 'latin1');
}

/** Go's `block.setFormat`: the checksum is six octal digits, NUL, space, computed with the field as spaces. */
function putChecksum(block: Buffer): void {
  let sum = 8 * 0x20;
  for (let i = 0; i < OFF_CHKSUM; i++) sum += block[i] as number;
  for (let i = OFF_CHKSUM + 8; i < BLOCK_SIZE; i++) sum += block[i] as number;
  block.write(sum.toString(8).padStart(6, '0'), OFF_CHKSUM, 'latin1');
  block[OFF_CHKSUM + 6] = 0;
  block[OFF_CHKSUM + 7] = 0x20;
}

/**
 * Go's `splitUSTARPath`: the longest prefix (at most 155 bytes) ending at a slash whose remainder
 * fits in the 100-byte name field; only for ASCII names longer than 100 bytes.
 */
function splitUstarPath(name: string): { prefix: string; suffix: string } | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAscii(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name.charCodeAt(length - 1) === 0x2f) length--;
  const i = name.lastIndexOf('/', length - 1);
  const suffixLength = name.length - i - 1;
  if (i <= 0 || suffixLength > NAME_SIZE || suffixLength === 0 || i > PREFIX_SIZE) return undefined;
  return { prefix: name.slice(0, i), suffix: name.slice(i + 1) };
}

/** Go's `formatPAXRecord`: "<len> <key>=<value>\n", where len counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let size = bodyLength + String(bodyLength).length;
  if (String(size).length + bodyLength !== size) size = String(size).length + bodyLength;
  return `${size}${body}`;
}

/** Go's name for a PAX extended header: `path.Join(dir, "PaxHeaders.0", file)`. */
function paxHeaderName(name: string): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1).replace(/\/+$/, '');
  const file = name.slice(slash + 1);
  return [dir, 'PaxHeaders.0', file].filter((part) => part !== '').join('/');
}

/** The PAX records Go would write for this header, or none when plain USTAR can hold it. */
function paxRecords(header: TarHeader): Map<string, string> | undefined {
  const records = new Map<string, string>();
  let ustarPossible = true;
  // Go's verifyString: a long or non-ASCII path goes to PAX unless USTAR can split it.
  const nameBytes = Buffer.byteLength(header.name);
  if (!isAscii(header.name) || nameBytes > NAME_SIZE) {
    if (splitUstarPath(header.name) === undefined) ustarPossible = false;
    records.set('path', header.name);
  }
  if (!isAscii(header.linkname) || Buffer.byteLength(header.linkname) > NAME_SIZE) {
    ustarPossible = false;
    records.set('linkpath', header.linkname);
  }
  // Go's verifyNumeric / verifyTime: 8 GiB and more, or mtimes outside 0..8^11-1, need PAX.
  if (!fitsInOctal(12, header.size)) {
    ustarPossible = false;
    records.set('size', String(header.size));
  }
  if (!fitsInOctal(12, header.mtime)) {
    ustarPossible = false;
    records.set('mtime', String(header.mtime));
  }
  return ustarPossible ? undefined : records;
}

/** Go's `templateV7Plus` with uid/gid 0, empty uname/gname and devmajor/devminor 0. */
function mainBlock(header: TarHeader, name: string, linkname: string, prefix: string): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  putString(block, OFF_NAME, NAME_SIZE, name);
  putOctal(block, OFF_MODE, 8, header.mode);
  putOctal(block, OFF_UID, 8, 0);
  putOctal(block, OFF_GID, 8, 0);
  putOctal(block, OFF_SIZE, 12, header.size);
  putOctal(block, OFF_MTIME, 12, header.mtime);
  block.write(header.typeflag, OFF_TYPEFLAG, 'latin1');
  putString(block, OFF_LINKNAME, NAME_SIZE, linkname);
  USTAR_MAGIC.copy(block, OFF_MAGIC);
  // uname (265) and gname (297) stay empty, all NUL: Go's formatString of "".
  putOctal(block, OFF_DEVMAJOR, 8, 0);
  putOctal(block, OFF_DEVMINOR, 8, 0);
  if (prefix !== '') putString(block, OFF_PREFIX, PREFIX_SIZE, prefix);
  putChecksum(block);
  return block;
}

/** The records of a PAX extended header, sorted by key as Go writes them. */
function paxData(records: Map<string, string>): Buffer {
  return Buffer.from(
    [...records.keys()]
      .sort()
      .map((key) => paxRecord(key, records.get(key) as string))
      .join(''),
  );
}

/** Go's `writeRawFile` for the PAX extended header: only name, zero numbers, size and typeflag 'x'. */
function paxBlocks(header: TarHeader, records: Map<string, string>): Buffer {
  const data = paxData(records);
  const padded = Math.ceil(data.length / BLOCK_SIZE) * BLOCK_SIZE;
  const out = Buffer.alloc(BLOCK_SIZE + padded);
  const name = toAscii(paxHeaderName(header.name)).slice(0, NAME_SIZE).replace(/\/+$/, '');
  putString(out, OFF_NAME, NAME_SIZE, name);
  putOctal(out, OFF_MODE, 8, 0);
  putOctal(out, OFF_UID, 8, 0);
  putOctal(out, OFF_GID, 8, 0);
  putOctal(out, OFF_SIZE, 12, data.length);
  putOctal(out, OFF_MTIME, 12, 0);
  out.write('x', OFF_TYPEFLAG, 'latin1');
  USTAR_MAGIC.copy(out, OFF_MAGIC);
  putChecksum(out);
  data.copy(out, BLOCK_SIZE);
  return out;
}

/**
 * The header bytes for one member: a single 512-byte USTAR block, or a PAX extended header
 * (header block + records padded to 512) followed by the main block. Data and its padding to a
 * 512-byte boundary are the caller's to write.
 */
export function encodeTarHeader(header: TarHeader): Buffer {
  const records = paxRecords(header);
  if (records === undefined) {
    const split = splitUstarPath(header.name);
    return mainBlock(header, split?.suffix ?? header.name, header.linkname, split?.prefix ?? '');
  }
  const main = mainBlock(header, toAscii(header.name), toAscii(header.linkname), '');
  return Buffer.concat([paxBlocks(header, records), main]);
}

/** How many bytes `encodeTarHeader(header)` returns, without building them. */
export function tarHeaderSize(header: TarHeader): number {
  const records = paxRecords(header);
  if (records === undefined) return BLOCK_SIZE;
  const data = paxData(records).length;
  return 2 * BLOCK_SIZE + data + blockPadding(data);
}

/** Zero bytes that follow `size` bytes of data to reach the next block boundary. */
export function blockPadding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/** Go's `Writer.Close`: two zero blocks and nothing more (no padding to a 10 KiB record). */
export const END_OF_ARCHIVE_SIZE = 2 * BLOCK_SIZE;
