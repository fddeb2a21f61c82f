/**
 * Context entries in columns, for the trip from the walk worker to the main thread: all paths of
 * a batch in one string, the numbers in one typed array (transferred, not copied). Structured
 * cloning the entry objects themselves cost more than walking (for 41k entries on the reference
 * machine: about 70 ms on each side, against 15 ms packed), because every object and every
 * string is serialized, allocated and later collected one by one.
 */
import type { ContextEntry, EntryType } from './entry.js';

/**
 * A batch of entries in columns. Entry i has path `paths.split('\0')[i]` (no path contains NUL),
 * numbers[4i..4i+3] = type code, mode, size, mtime, and takes the next of `sources` / `links`
 * when its flags say it has one (in entry order).
 */
export interface PackedBatch {
  readonly paths: string;
  readonly numbers: Float64Array<ArrayBuffer>;
  readonly sources: string;
  readonly links: readonly string[];
}

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'fifo'];
const TYPE_CODES: ReadonlyMap<EntryType, number> = new Map(TYPES.map((type, i) => [type, i]));
const HAS_SOURCE = 8;
const HAS_LINK = 16;

export function packBatch(entries: readonly ContextEntry[]): PackedBatch {
  const numbers = new Float64Array(entries.length * 4);
  const paths: string[] = [];
  const sources: string[] = [];
  const links: string[] = [];
  entries.forEach((entry, i) => {
    let code = TYPE_CODES.get(entry.type) as number;
    if (entry.source !== undefined) {
      code |= HAS_SOURCE;
      sources.push(entry.source);
    }
    if (entry.linkname !== undefined) {
      code |= HAS_LINK;
      links.push(entry.linkname);
    }
    paths.push(entry.path);
    numbers[i * 4] = code;
    numbers[i * 4 + 1] = entry.mode;
    numbers[i * 4 + 2] = entry.size;
    numbers[i * 4 + 3] = entry.mtime;
  });
  return { paths: paths.join('\0'), numbers, sources: sources.join('\0'), links };
}

/** The entries of a packed batch, as the walker made them (same fields, absent ones absent). */
export function unpackBatch(batch: PackedBatch): ContextEntry[] {
  const paths = batch.paths.split('\0');
  const sources = batch.sources === '' ? [] : batch.sources.split('\0');
  const { numbers, links } = batch;
  const entries: ContextEntry[] = new Array<ContextEntry>(paths.length);
  let source = 0;
  let link = 0;
  for (let i = 0; i < paths.length; i++) {
    const code = numbers[i * 4] as number;
    const entry: { -readonly [K in keyof ContextEntry]: ContextEntry[K] } = {
      path: paths[i] as string,
      type: TYPES[code & 7] as EntryType,
      mode: numbers[i * 4 + 1] as number,
      size: numbers[i * 4 + 2] as number,
      mtime: numbers[i * 4 + 3] as number,
    };
    if ((code & HAS_LINK) !== 0) entry.linkname = links[link++] as string;
    if ((code & HAS_SOURCE) !== 0) entry.source = sources[source++] as string;
    entries[i] = entry;
  }
  return entries;
}

