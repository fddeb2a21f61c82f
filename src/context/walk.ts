/**
 * The two context walkers. Both visit the tree depth-first with each directory's names sorted
 * bytewise (Go's filepath.WalkDir order), never follow symlinks, and decide inclusion with
 * PatternMatcher.matchesUsingParentResults fed the parent directory's results, as Docker does.
 * They differ only in how they treat an excluded directory:
 *
 *  - legacy (docker CLI with DOCKER_BUILDKIT=0, moby/go-archive TarWithOptions): the directory is
 *    entered only when some exception pattern, as written, starts with "<dir>/" — so `!**\/*.py`
 *    cannot re-include `sub/a.py` from under an excluded `sub`. Entered-but-excluded directories
 *    get no header of their own, so re-included files appear without their parent directories.
 *  - buildkit (today's `docker build`, tonistiigi/fsutil FilterFS): when any exception contains a
 *    wildcard, excluded directories are always entered; otherwise the same prefix rule applies
 *    (with a trailing `/*` or `/**` ignored). The directories above a re-included file are emitted
 *    (once, before it), so the tree stays complete.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { ContextEntry, EntryType } from './entry.js';
import { NO_PARENT_INFO, type MatchInfo, type PatternMatcher } from './dockerignore/matcher.js';
import type { Pattern } from './dockerignore/pattern.js';
import { PackError, errnoCode } from '../errors.js';
import type { Emit } from '../progress/events.js';

export type WalkMode = 'buildkit' | 'legacy';

export interface WalkOptions {
  /** Absolute path of the context directory. */
  readonly root: string;
  readonly matcher: PatternMatcher;
  readonly mode: WalkMode;
  /**
   * Context paths of files that are sent even when the patterns exclude them (buildkit mode; the
   * legacy CLI achieves the same by appending `!path` patterns, which the caller does).
   */
  readonly forceInclude?: ReadonlySet<string>;
  readonly emit?: Emit;
  readonly signal?: AbortSignal;
}

/** Bytewise (UTF-8) order, as Go sorts directory entries; JS string order is UTF-16 order. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Go sorts names with `<` on strings, which is bytewise; ASCII-only names can skip the Buffers. */
function sortNames(names: string[]): string[] {
  // eslint-disable-next-line no-control-regex
  const ascii = names.every((n) => /^[\x00-\x7f]*$/.test(n));
  return ascii ? names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : names.sort(compareNames);
}

/** Characters that make fsutil give up its prefix shortcut for exceptions. */
const PATTERN_CHARS = /[*[\]?^\\]/;

function withoutTrailingGlob(pattern: Pattern): string {
  let p = pattern.cleaned;
  if (p.endsWith('/**')) p = p.slice(0, -3);
  if (p.endsWith('/*')) p = p.slice(0, -2);
  return p;
}

/**
 * Whether an excluded directory is still entered (see the module comment): never without
 * exceptions; always in buildkit mode when an exception has a wildcard; otherwise only when an
 * exception, as written (legacy) or without a trailing glob (buildkit), starts with "<dir>/".
 */
function excludedDirRule(matcher: PatternMatcher, mode: WalkMode): (dir: string) => boolean {
  const exceptions = matcher.patterns.filter((p) => p.exclusion);
  const prefixes = exceptions.map((p) => (mode === 'legacy' ? p.cleaned : withoutTrailingGlob(p)) + '/');
  const wildcard = mode === 'buildkit' && exceptions.some((p) => PATTERN_CHARS.test(withoutTrailingGlob(p)));
  return (dir) => {
    if (!matcher.exclusions) return false;
    if (wildcard) return true;
    const dirSlash = `${dir}/`;
    return prefixes.some((p) => p.startsWith(dirSlash));
  };
}

interface Pending {
  entry: ContextEntry;
  emitted: boolean;
}

/**
 * Yields the context entries in tar order. Lazily: the caller pulls, so a huge tree is never held
 * in memory. Hard links are detected here (first name is a file, later names link to it).
 */
export function* walkContext(options: WalkOptions): Generator<ContextEntry, void, undefined> {
  const { matcher, mode, signal } = options;
  // Paths are joined by hand in the hot loop: path.join normalizes every time, and the walk is
  // otherwise mostly system calls.
  const root = options.root.endsWith('/') && options.root.length > 1 ? options.root.slice(0, -1) : options.root;
  const emit = options.emit ?? (() => {});
  const force = options.forceInclude ?? new Set<string>();
  const enterExcluded = excludedDirRule(matcher, mode);
  const seenInodes = new Map<string, string>();

  function* visit(dirRel: string, parentInfo: MatchInfo, pending: Pending[]): Generator<ContextEntry, void, undefined> {
    signal?.throwIfAborted();
    const dirAbs = dirRel === '' ? root : `${root}/${dirRel}`;
    let names: string[];
    try {
      names = readdirSync(dirAbs);
    } catch (error) {
      throw new ContextReadError(dirRel === '' ? '.' : dirRel, error);
    }
    for (const name of sortNames(names)) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      let stats: Stats;
      try {
        stats = lstatSync(`${dirAbs}/${name}`);
      } catch (error) {
        // A file removed while walking is simply not part of the context (as in Docker).
        if (errnoCode(error) === 'ENOENT') continue;
        throw new ContextReadError(rel, error);
      }
      const isDir = stats.isDirectory();
      const { excluded, info } = matcher.matchesUsingParentResults(rel, parentInfo);
      if (excluded && !(force.has(rel) && !isDir)) {
        if (!isDir || !enterExcluded(rel)) continue;
        // legacy: no header for an entered-but-excluded directory; buildkit: header if needed later.
        const below = mode === 'legacy' ? pending : [...pending, { entry: dirEntry(rel, stats), emitted: false }];
        yield* visitExcludedDir(rel, info, below);
        continue;
      }
      const entry = toEntry(rel, stats, root, seenInodes);
      if (entry === undefined) {
        emit({
          type: 'warning',
          code: 'context.special-file-skipped',
          message: `${rel}: ${stats.isSocket() ? 'socket' : 'device file'} not sent (Docker skips them too)`,
          path: rel,
        });
        continue;
      }
      // Directories above a re-included path come first (buildkit; legacy never has pending ones).
      for (const parent of pending) {
        if (!parent.emitted) {
          parent.emitted = true;
          yield parent.entry;
        }
      }
      yield entry;
      if (isDir) yield* visit(rel, info, []);
    }
  }

  function* visitExcludedDir(rel: string, info: MatchInfo, pending: Pending[]): Generator<ContextEntry, void, undefined> {
    try {
      yield* visit(rel, info, pending);
    } catch (error) {
      // An excluded directory that cannot be read is not an error: nothing in it would be sent
      // unless re-included, and Docker skips it the same way.
      if (error instanceof ContextReadError && error.path === rel && error.permission) return;
      throw error;
    }
  }

  yield* visit('', NO_PARENT_INFO, []);
}

/** A file or directory of the context that cannot be read: one line naming it, exit 1. */
export class ContextReadError extends PackError {
  readonly permission: boolean;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const code = errnoCode(cause);
    const permission = code === 'EACCES' || code === 'EPERM';
    const why = permission ? 'permission denied' : code === 'ENOTDIR' ? 'not a directory' : (code ?? String(cause));
    super('CONTEXT_UNREADABLE', `cannot read ${path}: ${why}`, {
      cause,
      hint: 'fix its permissions, or exclude it in .dockerignore if it should not be sent',
    });
    this.permission = permission;
  }
}

function dirEntry(path: string, stats: Stats): ContextEntry {
  return { path, type: 'dir', mode: stats.mode & 0o7777, size: 0, mtime: Math.floor(stats.mtimeMs / 1000) };
}

/** lstat → ContextEntry; undefined for sockets and devices, which are not sent. */
function toEntry(path: string, stats: Stats, root: string, seenInodes: Map<string, string>): ContextEntry | undefined {
  const mode = stats.mode & 0o7777;
  const mtime = Math.floor(stats.mtimeMs / 1000);
  let type: EntryType;
  if (stats.isDirectory()) return dirEntry(path, stats);
  if (stats.isFile()) type = 'file';
  else if (stats.isSymbolicLink()) type = 'symlink';
  else if (stats.isFIFO()) type = 'fifo';
  else return undefined;
  // go-archive: any non-directory with more than one link is stored once; later names link to it.
  if (stats.nlink > 1) {
    const key = `${stats.dev}:${stats.ino}`;
    const first = seenInodes.get(key);
    if (first !== undefined) return { path, type: 'hardlink', mode, size: 0, mtime, linkname: first };
    seenInodes.set(key, path);
  }
  const source = `${root}/${path}`;
  if (type === 'symlink') return { path, type, mode, size: 0, mtime, linkname: readLink(source, path) };
  return { path, type, mode, size: type === 'file' ? stats.size : 0, mtime, source };
}

function readLink(source: string, path: string): string {
  try {
    return readlinkSync(source, 'utf8');
  } catch (error) {
    throw new ContextReadError(path, error);
  }
}

export interface PathVerdict {
  /** Whether the walker sends this path. */
  readonly sent: boolean;
  /** The last pattern that matched the path or one of its parents (the deciding line), if any. */
  readonly decidedBy: Pattern | undefined;
  /** Set when an ancestor directory was excluded and not entered, so the path was never looked at. */
  readonly prunedAt: string | undefined;
  /** True when the path is sent only because it is always sent (Dockerfile, .dockerignore). */
  readonly forced: boolean;
}

/**
 * What the walker decides for one path, without touching the disk: the same matching and pruning
 * rules applied along the path's ancestors. Used for `pack plan --why` and to know in advance
 * whether the Dockerfile will be in the walk.
 */
export function judgePath(
  path: string,
  options: { matcher: PatternMatcher; mode: WalkMode; isDir: boolean; forceInclude?: ReadonlySet<string> },
): PathVerdict {
  const { matcher } = options;
  const enterExcluded = excludedDirRule(matcher, options.mode);
  const parts = path.split('/');
  let info = NO_PARENT_INFO;
  let excluded = false;
  for (let depth = 1; depth <= parts.length; depth += 1) {
    const current = parts.slice(0, depth).join('/');
    ({ excluded, info } = matcher.matchesUsingParentResults(current, info));
    const last = depth === parts.length;
    if (!last && excluded && !enterExcluded(current)) {
      return { sent: false, decidedBy: lastMatched(matcher, info), prunedAt: current, forced: false };
    }
  }
  const forced = excluded && !options.isDir && (options.forceInclude?.has(path) ?? false);
  return { sent: !excluded || forced, decidedBy: lastMatched(matcher, info), prunedAt: undefined, forced };
}

function lastMatched(matcher: PatternMatcher, info: MatchInfo): Pattern | undefined {
  let decided: Pattern | undefined;
  info.parentMatched.forEach((matched, i) => {
    if (matched) decided = matcher.patterns[i];
  });
  return decided;
}
