/**
 * moby/patternmatcher's PatternMatcher: an ordered list of patterns where the last matching
 * pattern wins and `!` patterns re-include. Three ways of asking are used by Docker and kept here:
 *  - matchesOrParentMatches: the path or any of its parent directories matches (the daemon's
 *    check when it drops the Dockerfile and .dockerignore from the context);
 *  - matchesUsingParentResults: the walkers' incremental form, fed the parent directory's
 *    results. It is NOT equivalent to the former: a pattern that was skipped for the parent
 *    (an exception while nothing matched yet) is not re-tried for the children, which is why
 *    `a/b` followed by `!a` still excludes `a/b`;
 *  - matchesDeprecated: the old one-level parent check the docker CLI still uses to decide whether
 *    to add `!Dockerfile` and `!.dockerignore`.
 */
import { goClean, goDir, goTrimSpace } from './go-path.js';
import { globSyntaxError } from './go-glob-syntax.js';
import { BadPatternError, Pattern, type PatternSource } from './pattern.js';

/** A pattern line as read from an ignore file, before compilation. */
export interface PatternLine {
  readonly pattern: string;
  readonly source?: PatternSource;
}

/** Per-pattern results for a directory, handed to its children (moby's MatchInfo). */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export const NO_PARENT_INFO: MatchInfo = { parentMatched: [] };

export class PatternSyntaxError extends Error {
  override name = 'PatternSyntaxError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
    readonly source: PatternSource | undefined,
  ) {
    super(reason);
  }
}

export class PatternMatcher {
  readonly patterns: readonly Pattern[];
  /** True when any pattern is an exception (`!`). */
  readonly exclusions: boolean;

  /** moby's New: trims, cleans, validates with filepath.Match's syntax rules. */
  constructor(lines: readonly (string | PatternLine)[]) {
    const patterns: Pattern[] = [];
    let exclusions = false;
    for (const line of lines) {
      const { pattern: raw, source } = typeof line === 'string' ? { pattern: line, source: undefined } : line;
      let p = goTrimSpace(raw);
      if (p === '') continue;
      p = goClean(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new PatternSyntaxError(p, 'illegal exclusion pattern: "!"', source);
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      const reason = globSyntaxError(p);
      if (reason !== undefined) {
        throw new PatternSyntaxError((exclusion ? '!' : '') + p, `syntax error in pattern: ${reason}`, source);
      }
      patterns.push(new Pattern(p, exclusion, source));
    }
    this.patterns = patterns;
    this.exclusions = exclusions;
  }

  /**
   * Compiles every pattern now. Docker only finds some errors (an invalid class range, a bad
   * escape) when a path is first matched; checking up front reports them before anything is sent.
   */
  checkAll(): void {
    for (const pattern of this.patterns) {
      try {
        pattern.check();
      } catch (error) {
        throw toSyntaxError(error);
      }
    }
  }

  matchesOrParentMatches(file: string): boolean {
    const parents = parentDirs(file);
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = run(pattern, file);
      if (!match && parents) match = parents.some((dir) => matchQuietly(pattern, dir));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** The deprecated Matches: only the parent at the pattern's own depth is tried. */
  matchesDeprecated(file: string): boolean {
    const parentPath = goDir(file);
    const parentPathDirs = parentPath.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = run(pattern, file);
      if (!match && parentPath !== '.' && pattern.dirs.length <= parentPathDirs.length) {
        match = matchQuietly(pattern, parentPathDirs.slice(0, pattern.dirs.length).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  matchesUsingParentResults(file: string, parent: MatchInfo): { excluded: boolean; info: MatchInfo } {
    const parentMatched = parent.parentMatched;
    const hasParent = parentMatched.length !== 0;
    const parents = hasParent ? undefined : parentDirs(file);
    const results: boolean[] = new Array<boolean>(this.patterns.length).fill(false);
    let matched = false;
    this.patterns.forEach((pattern, i) => {
      let match = hasParent && parentMatched[i] === true;
      if (!match) {
        // Skip an inclusion once matched, and an exception until something matched.
        if (pattern.exclusion !== matched) return;
        match = run(pattern, file);
        if (!match && parents) match = parents.some((dir) => matchQuietly(pattern, dir));
      }
      results[i] = match;
      if (match) matched = !pattern.exclusion;
    });
    return { excluded: matched, info: { parentMatched: results } };
  }
}

/** Parent directories of a path, shortest first ("a/b/c" → ["a", "a/b"]); undefined at top level. */
function parentDirs(file: string): string[] | undefined {
  const parentPath = goDir(file);
  if (parentPath === '.') return undefined;
  const dirs = parentPath.split('/');
  return dirs.map((_, i) => dirs.slice(0, i + 1).join('/'));
}

function run(pattern: Pattern, path: string): boolean {
  try {
    return pattern.match(path);
  } catch (error) {
    throw toSyntaxError(error);
  }
}

/** moby ignores errors when trying parent directories (`match, _ = pattern.match(...)`). */
function matchQuietly(pattern: Pattern, path: string): boolean {
  try {
    return pattern.match(path);
  } catch {
    return false;
  }
}

function toSyntaxError(error: unknown): unknown {
  if (error instanceof BadPatternError) {
    return new PatternSyntaxError(error.pattern.text, `syntax error in pattern: ${error.reason}`, error.pattern.source);
  }
  return error;
}

/** The package-level Matches(file, patterns) the docker CLI calls: errors mean "not excluded". */
export function dockerCliMatches(file: string, lines: readonly (string | PatternLine)[]): boolean {
  let matcher: PatternMatcher;
  try {
    matcher = new PatternMatcher(lines);
  } catch {
    return false;
  }
  const cleaned = goClean(file);
  if (cleaned === '.') return false;
  try {
    return matcher.matchesDeprecated(cleaned);
  } catch {
    return false;
  }
}
