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
const USTAR_MAGIC_SUM = USTAR_MAGIC.reduce((sum, byte) => sum + byte, 0);

/** Go's `fitsInOctal` for the two field widths used: at most width-1 octal digits (one byte is left for NUL). */
const OCTAL_LIMIT_8 = 8 ** 7;
const OCTAL_LIMIT_12 = 8 ** 11;
function fitsInOctal(width: 8 | 12, value: number): boolean {
  return value >= 0 && value < (width === 8 ? OCTAL_LIMIT_8 : OCTAL_LIMIT_12);
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
 * a regular file for a directory. `s` is ASCII here, so characters are bytes; the field is zero.
 * Returns the sum of the bytes left in the field, for the checksum. (Byte stores rather than
 * Buffer#write: the latter costs more per call than a short name takes to copy.)
 */
function putString(block: Buffer, offset: number, width: number, s: string): number {
  const n = s.length < width ? s.length : width;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    block[offset + i] = c;
    sum += c;
  }
  if (s.length > width && s.charCodeAt(width - 1) === 0x2f) {
    let cut = width - 1;
    while (cut > 0 && s.charCodeAt(cut - 1) === 0x2f) cut--;
    sum -= block[offset + cut] as number;
    block[offset + cut] = 0;
  }
  return sum;
}

/**
 * Go's `formatOctal`: zero-padded to width-1 digits, NUL last; a value that does not fit is
 * written as 0. Returns the sum of the bytes written, for the checksum.
 */
function putOctal(block: Buffer, offset: number, width: 8 | 12, value: number): number {
  let rest = fitsInOctal(width, value) ? value : 0;
  let sum = 0x30 * (width - 1);
  let i = offset + width - 2;
  // Sizes can pass 2^32: peel octal digits off with float arithmetic until 32-bit integer ops
  // (much faster than `%` on doubles) can take over.
  for (; rest > 0xffffffff; i--) {
    const digit = rest % 8;
    block[i] = 0x30 + digit;
    sum += digit;
    rest = (rest - digit) / 8;
  }
  for (; i >= offset; i--) {
    const digit = rest & 7;
    block[i] = 0x30 + digit;
    sum += digit;
    rest >>>= 3;
  }
  return sum;
}

/** "ustar\0" + "00" at the magic offset; returns its byte sum. */
function putMagic(block: Buffer, at: number): number {
  for (let i = 0; i < USTAR_MAGIC.length; i++) block[at + OFF_MAGIC + i] = USTAR_MAGIC[i] as number;
  return USTAR_MAGIC_SUM;
}

/**
 * Go's `block.setFormat` checksum: six octal digits, NUL, space. `sum` is the sum of every other
 * byte of the block (callers add up what they wrote); the field itself counts as eight spaces.
 */
function putChecksum(block: Buffer, at: number, sum: number): void {
  let rest = sum + 8 * 0x20;
  for (let i = at + OFF_CHKSUM + 5; i >= at + OFF_CHKSUM; i--) {
    block[i] = 0x30 + (rest & 7);
    rest >>>= 3;
  }
  block[at + OFF_CHKSUM + 6] = 0;
  block[at + OFF_CHKSUM + 7] = 0x20;
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
  // The common case, checked without allocating: ASCII names (one byte per character) that fit.
  if (
    header.name.length <= NAME_SIZE &&
    header.linkname.length <= NAME_SIZE &&
    isAscii(header.name) &&
    isAscii(header.linkname) &&
    fitsInOctal(12, header.size) &&
    fitsInOctal(12, header.mtime)
  ) {
    return undefined;
  }
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

/**
 * Go's `templateV7Plus` with uid/gid 0, empty uname/gname and devmajor/devminor 0, written into
 * `block` at `at` (512 bytes that must be zero).
 */
function writeMainBlock(
  block: Buffer,
  at: number,
  header: TarHeader,
  name: string,
  linkname: string,
  prefix: string,
): void {
  const typeflag = header.typeflag.charCodeAt(0);
  block[at + OFF_TYPEFLAG] = typeflag;
  // uname (265) and gname (297) stay empty, all NUL: Go's formatString of "".
  const sum =
    putString(block, at + OFF_NAME, NAME_SIZE, name) +
    putOctal(block, at + OFF_MODE, 8, header.mode) +
    putOctal(block, at + OFF_UID, 8, 0) +
    putOctal(block, at + OFF_GID, 8, 0) +
    putOctal(block, at + OFF_SIZE, 12, header.size) +
    putOctal(block, at + OFF_MTIME, 12, header.mtime) +
    typeflag +
    putString(block, at + OFF_LINKNAME, NAME_SIZE, linkname) +
    putMagic(block, at) +
    putOctal(block, at + OFF_DEVMAJOR, 8, 0) +
    putOctal(block, at + OFF_DEVMINOR, 8, 0) +
    putString(block, at + OFF_PREFIX, PREFIX_SIZE, prefix);
  putChecksum(block, at, sum);
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

/**
 * Go's `writeRawFile` for the PAX extended header (only name, zero numbers, size and typeflag
 * 'x') followed by the records; returns the bytes written, padding included.
 */
function writePaxBlocks(out: Buffer, at: number, header: TarHeader, data: Buffer): number {
  const name = toAscii(paxHeaderName(header.name)).slice(0, NAME_SIZE).replace(/\/+$/, '');
  const typeflag = 'x'.charCodeAt(0);
  out[at + OFF_TYPEFLAG] = typeflag;
  const sum =
    putString(out, at + OFF_NAME, NAME_SIZE, name) +
    putOctal(out, at + OFF_MODE, 8, 0) +
    putOctal(out, at + OFF_UID, 8, 0) +
    putOctal(out, at + OFF_GID, 8, 0) +
    putOctal(out, at + OFF_SIZE, 12, data.length) +
    putOctal(out, at + OFF_MTIME, 12, 0) +
    typeflag +
    putMagic(out, at);
  putChecksum(out, at, sum);
  data.copy(out, at + BLOCK_SIZE);
  return BLOCK_SIZE + data.length + blockPadding(data.length);
}

/**
 * Writes the header bytes for one member into `target` at `offset`, which must hold
 * `tarHeaderSize(header)` zero bytes: a single 512-byte USTAR block, or a PAX extended header
 * (header block + records padded to 512) followed by the main block. Returns the bytes written.
 * Data and its padding to a 512-byte boundary are the caller's to write.
 */
export function writeTarHeader(header: TarHeader, target: Buffer, offset: number): number {
  const records = paxRecords(header);
  if (records === undefined) {
    const split = splitUstarPath(header.name);
    writeMainBlock(target, offset, header, split?.suffix ?? header.name, header.linkname, split?.prefix ?? '');
    return BLOCK_SIZE;
  }
  const extended = writePaxBlocks(target, offset, header, paxData(records));
  writeMainBlock(target, offset + extended, header, toAscii(header.name), toAscii(header.linkname), '');
  return extended + BLOCK_SIZE;
}

/** The header bytes for one member (see `writeTarHeader`). */
export function encodeTarHeader(header: TarHeader): Buffer {
  const out = Buffer.alloc(tarHeaderSize(header));
  writeTarHeader(header, out, 0);
  return out;
}

/** How many bytes `writeTarHeader` writes for this header. */
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
