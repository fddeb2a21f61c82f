/**
 * A strict, push-based tar reader for archives pack did not necessarily write: the `docker save`
 * stream while it is being archived, an archive being verified (possibly hostile), and the context
 * tar inside it. It takes chunks as they come and returns what they contain as events that point
 * into the chunks (no copies): a member header, slices of its data, the member's end, the
 * end-of-archive marker. Memory stays bounded by the largest extension header (MAX_EXTENSION).
 *
 * Reads what Go's archive/tar writes (Docker's daemon and CLI both use it): USTAR with the prefix
 * field, PAX extended headers (`path`, `linkpath`, `size`, `mtime`, `uid`, `gid`), GNU long names
 * (`L`/`K`), base-256 numbers. It is stricter than Go's reader where a lax reading would let two
 * tools see different archives, which is how tampering hides:
 *  - every header's checksum is checked (a single flipped byte changes the byte sum);
 *  - padding after member data and the blocks after the end marker must be zero, so that no byte
 *    of the stream goes unchecked;
 *  - header-only members (links, directories, devices) must declare size 0: Go ignores their size,
 *    other tools skip that many bytes, and the two would then read different members;
 *  - GNU sparse and multi-volume members are refused (docker never writes them);
 *  - a stream that ends before the end-of-archive marker is an error (truncated).
 * Member names are returned as stored; judging whether they are safe is member-path.ts's job.
 */

export const BLOCK = 512;
/** Largest PAX or GNU long-name payload accepted. Go's reader allows 1 MiB of PAX records. */
export const MAX_EXTENSION = 1024 * 1024;

export type TarMemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarMember {
  /** Name as stored (PAX `path` or GNU long name applied); directories usually end with `/`. */
  readonly name: string;
  readonly type: TarMemberType;
  /** The raw type flag, e.g. `0`, `5`, `2`. */
  readonly typeflag: string;
  /** Permission and special bits (0o7777). */
  readonly mode: number;
  /** Bytes of data that follow (0 for every type but `file`). */
  readonly size: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly uid: number;
  readonly gid: number;
  /** Symlink target or hard-link target name; '' otherwise. */
  readonly linkname: string;
  /** Offset in the stream of the member's first header block (extension headers included). */
  readonly offset: number;
  /** Offset in the stream of the member's data. */
  readonly dataOffset: number;
}

export type TarEvent =
  | { readonly kind: 'member'; readonly member: TarMember }
  | { readonly kind: 'data'; readonly chunk: Buffer }
  | { readonly kind: 'member-end'; readonly member: TarMember }
  /** The end-of-archive marker (two zero blocks) starts at `offset`. */
  | { readonly kind: 'end'; readonly offset: number };

/** What went wrong, where: `offset` is the byte of the stream at fault, `member` the member concerned. */
export class TarFormatError extends Error {
  constructor(
    readonly code: 'TAR_HEADER_CHECKSUM' | 'TAR_HEADER_INVALID' | 'TAR_TRUNCATED' | 'TAR_PADDING' | 'TAR_TRAILING_DATA' | 'TAR_UNSUPPORTED',
    message: string,
    readonly offset: number,
    readonly member?: string,
  ) {
    super(message);
    this.name = 'TarFormatError';
  }
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

type State =
  | { readonly kind: 'header' }
  | { readonly kind: 'extension'; readonly typeflag: string; readonly remaining: number; readonly padding: number; readonly parts: Buffer[]; readonly offset: number }
  | { readonly kind: 'data'; remaining: number; readonly padding: number; readonly member: TarMember }
  | { kind: 'padding'; remaining: number; readonly member: TarMember }
  | { readonly kind: 'second-zero'; readonly offset: number }
  | { readonly kind: 'after-end' };

interface Extensions {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
  /** Offset of the first extension header, which is where the member starts. */
  offset?: number;
}

export class TarParser {
  /** Bytes consumed so far: the offset of the next byte. */
  private position = 0;
  private state: State = { kind: 'header' };
  /** A header block split across chunks. */
  private pending: Buffer | undefined;
  private extensions: Extensions = {};
  private lastMember: string | undefined;
  private endOffset: number | undefined;

  /** The offset of the end-of-archive marker, once seen. */
  get end(): number | undefined {
    return this.endOffset;
  }

  /** Bytes consumed so far (a header block still incomplete is not counted). */
  get offset(): number {
    return this.position;
  }

  /**
   * The offset up to which the bytes seen are certainly not part of the end-of-archive marker:
   * everything before a zero block that may be its first half, or before an incomplete block.
   * A pass-through writer forwards bytes up to here and holds back the rest.
   */
  get committed(): number {
    if (this.endOffset !== undefined) return this.endOffset;
    return this.state.kind === 'second-zero' ? this.state.offset : this.position;
  }

  /** Parses one chunk; returns what it held, in order. Throws TarFormatError. */
  write(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'header':
        case 'second-zero': {
          const block = this.takeBlock(chunk, at);
          if (block === undefined) {
            at = chunk.length;
            break;
          }
          at += block.used;
          this.onBlock(block.data, events);
          break;
        }
        case 'extension': {
          const n = Math.min(state.remaining, chunk.length - at);
          if (n > 0) state.parts.push(Buffer.from(chunk.subarray(at, at + n)));
          at += n;
          this.position += n;
          const remaining = state.remaining - n;
          if (remaining > 0) {
            this.state = { ...state, remaining };
            break;
          }
          if (state.padding > 0) {
            // Reuse the padding state with a synthetic owner for the messages.
            this.applyExtension(state.typeflag, Buffer.concat(state.parts), state.offset);
            this.state = { kind: 'padding', remaining: state.padding, member: extensionOwner(state.offset, this.lastMember) };
          } else {
            this.applyExtension(state.typeflag, Buffer.concat(state.parts), state.offset);
            this.state = { kind: 'header' };
          }
          break;
        }
        case 'data': {
          const n = Math.min(state.remaining, chunk.length - at);
          if (n > 0) events.push({ kind: 'data', chunk: chunk.subarray(at, at + n) });
          at += n;
          this.position += n;
          state.remaining -= n;
          if (state.remaining === 0) {
            events.push({ kind: 'member-end', member: state.member });
            this.state = state.padding > 0 ? { kind: 'padding', remaining: state.padding, member: state.member } : { kind: 'header' };
          }
          break;
        }
        case 'padding': {
          const n = Math.min(state.remaining, chunk.length - at);
          for (let i = 0; i < n; i++) {
            if (chunk[at + i] !== 0) {
              throw new TarFormatError(
                'TAR_PADDING',
                `non-zero byte at ${this.position + i} in the padding after ${describe(state.member.name)}`,
                this.position + i,
                state.member.name,
              );
            }
          }
          at += n;
          this.position += n;
          state.remaining -= n;
          if (state.remaining === 0) this.state = { kind: 'header' };
          break;
        }
        case 'after-end': {
          for (let i = at; i < chunk.length; i++) {
            if (chunk[i] !== 0) {
              const offset = this.position + (i - at);
              throw new TarFormatError('TAR_TRAILING_DATA', `non-zero data at byte ${offset}, after the end of the archive (byte ${this.endOffset ?? 0})`, offset);
            }
          }
          this.position += chunk.length - at;
          at = chunk.length;
          break;
        }
      }
    }
    return events;
  }

  /** The stream is over: throws when it stopped before the end-of-archive marker. */
  finish(): void {
    const state = this.state;
    if (state.kind === 'after-end') return;
    const partial = this.pending?.length ?? 0;
    const where = this.lastMember === undefined ? 'before the first member' : `after ${describe(this.lastMember)}`;
    switch (state.kind) {
      case 'data':
        throw new TarFormatError(
          'TAR_TRUNCATED',
          `truncated: ${describe(state.member.name)} declares ${state.member.size} bytes but the archive ends after ${state.member.size - state.remaining}`,
          this.position,
          state.member.name,
        );
      case 'padding':
        throw new TarFormatError('TAR_TRUNCATED', `truncated: the archive ends inside the padding after ${describe(state.member.name)}`, this.position, state.member.name);
      case 'extension':
        throw new TarFormatError('TAR_TRUNCATED', `truncated: the archive ends inside an extended header ${where}`, this.position);
      case 'second-zero':
        throw new TarFormatError('TAR_TRUNCATED', `truncated: the archive ends after one zero block of its end marker (byte ${state.offset})`, this.position);
      case 'header':
        throw new TarFormatError(
          'TAR_TRUNCATED',
          partial > 0
            ? `truncated: the archive ends inside a header block ${where} (byte ${this.position})`
            : `truncated: the archive ends at byte ${this.position} ${where}, without the end-of-archive marker`,
          this.position,
        );
    }
  }

  /** Collects one 512-byte block starting at `at`, across chunks when needed. */
  private takeBlock(chunk: Buffer, at: number): { data: Buffer; used: number } | undefined {
    if (this.pending === undefined && chunk.length - at >= BLOCK) {
      return { data: chunk.subarray(at, at + BLOCK), used: BLOCK };
    }
    const have = this.pending?.length ?? 0;
    const take = Math.min(BLOCK - have, chunk.length - at);
    const joined = Buffer.concat([this.pending ?? Buffer.alloc(0), chunk.subarray(at, at + take)]);
    if (joined.length < BLOCK) {
      this.pending = joined;
      // Not consumed yet as far as offsets go: position moves when the block completes.
      return undefined;
    }
    this.pending = undefined;
    return { data: joined, used: take };
  }

  private onBlock(block: Buffer, events: TarEvent[]): void {
    const offset = this.position;
    this.position += BLOCK;
    const state = this.state;
    if (block.equals(ZERO_BLOCK)) {
      if (state.kind === 'second-zero') {
        this.state = { kind: 'after-end' };
        this.endOffset = state.offset;
        events.push({ kind: 'end', offset: state.offset });
        return;
      }
      if (this.extensions.offset !== undefined) {
        throw new TarFormatError('TAR_HEADER_INVALID', `an extended header at byte ${this.extensions.offset} is not followed by a member`, offset);
      }
      this.state = { kind: 'second-zero', offset };
      return;
    }
    if (state.kind === 'second-zero') {
      // Go's reader: one zero block followed by a non-zero one is a corrupt header.
      throw new TarFormatError('TAR_HEADER_INVALID', `a lone zero block at byte ${state.offset} is followed by data at byte ${offset}`, state.offset);
    }
    const name = headerName(block);
    verifyChecksum(block, offset, name, this.lastMember);
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156] as number);
    const size = readNumber(block, 124, 12, offset, 'size', name);

    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_EXTENSION) {
        throw new TarFormatError('TAR_UNSUPPORTED', `extended header at byte ${offset} declares ${size} bytes (more than ${MAX_EXTENSION})`, offset);
      }
      this.extensions.offset ??= offset;
      const padding = padTo(size);
      if (size === 0) {
        this.applyExtension(typeflag, Buffer.alloc(0), offset);
        return;
      }
      this.state = { kind: 'extension', typeflag, remaining: size, padding, parts: [], offset };
      return;
    }
    if (typeflag === 'g') {
      // A PAX global header. Docker's untar ignores it (moby archive: "PAX Global Extended Headers
      // found and ignored"); so does pack, but its bytes are read and its padding checked.
      if (size > MAX_EXTENSION) throw new TarFormatError('TAR_UNSUPPORTED', `global header at byte ${offset} declares ${size} bytes`, offset);
      this.state = size > 0 ? { kind: 'extension', typeflag, remaining: size, padding: padTo(size), parts: [], offset } : { kind: 'header' };
      return;
    }
    const type = memberType(typeflag, name);
    if (type === undefined) {
      throw new TarFormatError('TAR_UNSUPPORTED', `${describe(name)} at byte ${offset} has type ${JSON.stringify(typeflag)}, which pack does not read`, offset, name);
    }
    const ext = this.extensions;
    this.extensions = {};
    const memberName = ext.path ?? name;
    const declared = ext.size ?? size;
    if (type !== 'file' && declared !== 0) {
      throw new TarFormatError('TAR_HEADER_INVALID', `${describe(memberName)} at byte ${offset} is a ${type} but declares ${declared} bytes of data`, offset, memberName);
    }
    if (memberName === '') throw new TarFormatError('TAR_HEADER_INVALID', `the member at byte ${offset} has an empty name`, offset);
    const member: TarMember = {
      name: memberName,
      type,
      typeflag,
      mode: readNumber(block, 100, 8, offset, 'mode', memberName) & 0o7777,
      size: declared,
      mtime: ext.mtime ?? readNumber(block, 136, 12, offset, 'mtime', memberName),
      uid: ext.uid ?? readNumber(block, 108, 8, offset, 'uid', memberName),
      gid: ext.gid ?? readNumber(block, 116, 8, offset, 'gid', memberName),
      linkname: ext.linkpath ?? cString(block, 157, 100),
      offset: ext.offset ?? offset,
      dataOffset: this.position,
    };
    this.lastMember = memberName;
    events.push({ kind: 'member', member });
    if (declared === 0) {
      events.push({ kind: 'member-end', member });
      this.state = { kind: 'header' };
      return;
    }
    this.state = { kind: 'data', remaining: declared, padding: padTo(declared), member };
  }

  private applyExtension(typeflag: string, data: Buffer, offset: number): void {
    if (typeflag === 'g') return;
    if (typeflag === 'L') {
      this.extensions.path = cString(data, 0, data.length);
      return;
    }
    if (typeflag === 'K') {
      this.extensions.linkpath = cString(data, 0, data.length);
      return;
    }
    for (const [key, value] of parsePax(data, offset)) {
      switch (key) {
        case 'path':
          this.extensions.path = value;
          break;
        case 'linkpath':
          this.extensions.linkpath = value;
          break;
        case 'size':
          this.extensions.size = paxInteger(value, key, offset);
          break;
        case 'mtime':
          this.extensions.mtime = Math.floor(Number.parseFloat(value));
          break;
        case 'uid':
          this.extensions.uid = paxInteger(value, key, offset);
          break;
        case 'gid':
          this.extensions.gid = paxInteger(value, key, offset);
          break;
        default:
          if (key.startsWith('GNU.sparse.')) {
            throw new TarFormatError('TAR_UNSUPPORTED', `sparse member at byte ${offset}: pack does not read GNU sparse files`, offset);
          }
          // Other records (atime, ctime, uname, SCHILY.xattr.*, LIBARCHIVE.*) change no byte we read.
          break;
      }
    }
  }
}

/** A stand-in member for messages about the padding of an extended header. */
function extensionOwner(offset: number, last: string | undefined): TarMember {
  const name = last === undefined ? `extended header at byte ${offset}` : `extended header after ${last}`;
  return { name, type: 'file', typeflag: 'x', mode: 0, size: 0, mtime: 0, uid: 0, gid: 0, linkname: '', offset, dataOffset: offset };
}

function describe(name: string): string {
  return name.startsWith('extended header') ? name : JSON.stringify(name);
}

function padTo(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function memberType(typeflag: string, name: string): TarMemberType | undefined {
  switch (typeflag) {
    case '0':
    case '7':
      // V7 archives mark directories only by the trailing slash.
      return name.endsWith('/') ? 'dir' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return undefined;
  }
}

/** Name from the header: USTAR prefix + name when the magic says POSIX (GNU uses those bytes for times). */
function headerName(block: Buffer): string {
  const name = cString(block, 0, 100);
  const magic = block.toString('latin1', 257, 263);
  if (magic === 'ustar\u0000') {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') return `${prefix}/${name}`;
  }
  return name;
}

function cString(buffer: Buffer, offset: number, length: number): string {
  const end = buffer.indexOf(0, offset);
  const stop = end === -1 || end > offset + length ? offset + length : end;
  return buffer.toString('utf8', offset, stop);
}

function verifyChecksum(block: Buffer, offset: number, name: string, last: string | undefined): void {
  const stored = parseOctal(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored === unsigned || stored === signed) return;
  const which = last === undefined ? 'the first member' : `the member after ${JSON.stringify(last)}`;
  throw new TarFormatError(
    'TAR_HEADER_CHECKSUM',
    `corrupt tar header at byte ${offset} (${which}, name field ${JSON.stringify(name)}): checksum field says ${stored ?? 'nothing'}, the header adds up to ${unsigned}`,
    offset,
    name,
  );
}

function parseOctal(block: Buffer, offset: number, length: number): number | undefined {
  const text = block.toString('latin1', offset, offset + length).replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}

/** A numeric field: octal text, or base-256 when the first byte has its high bit set (Go, GNU). */
function readNumber(block: Buffer, offset: number, length: number, headerOffset: number, field: string, name: string): number {
  const first = block[offset] as number;
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError('TAR_HEADER_INVALID', `${describe(name)} at byte ${headerOffset}: negative ${field}`, headerOffset, name);
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] as number);
    if (!Number.isSafeInteger(value)) throw new TarFormatError('TAR_HEADER_INVALID', `${describe(name)} at byte ${headerOffset}: ${field} too large`, headerOffset, name);
    return value;
  }
  const value = parseOctal(block, offset, length);
  if (value === undefined) {
    throw new TarFormatError('TAR_HEADER_INVALID', `${describe(name)} at byte ${headerOffset}: ${field} field is not a number`, headerOffset, name);
  }
  return value;
}

/** PAX records: "<length> <key>=<value>\n", length counting the whole record. */
function parsePax(data: Buffer, offset: number): [string, string][] {
  const records: [string, string][] = [];
  let at = 0;
  while (at < data.length) {
    // Go tolerates trailing NULs after the last record.
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new TarFormatError('TAR_HEADER_INVALID', `malformed PAX record in the extended header at byte ${offset}`, offset);
    }
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError('TAR_HEADER_INVALID', `malformed PAX record in the extended header at byte ${offset}`, offset);
    records.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += length;
  }
  return records;
}

function paxInteger(value: string, key: string, offset: number): number {
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new TarFormatError('TAR_HEADER_INVALID', `PAX ${key}=${JSON.stringify(value)} in the extended header at byte ${offset} is not a number`, offset);
  }
  return Number(value);
}
