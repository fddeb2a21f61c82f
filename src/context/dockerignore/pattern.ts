/**
 * One .dockerignore pattern, compiled exactly as moby/patternmatcher compiles it.
 *
 * moby classifies each pattern lazily, on its first match:
 *  - exact:  no wildcard, no escape            → path === pattern
 *  - prefix: literal text then a final `**`    → path starts with the text before `**`
 *  - suffix: `**` first, then literal text     → path ends with the text after `**`
 *            (and `**\/foo` also matches `foo`)
 *  - regexp: anything else, through a Go regexp built from the pattern
 * The prefix and suffix shortcuts are not what the equivalent regexp would say (`foo**` matches
 * `foobar/x`, `**foo` matches `barfoo`); Docker behaves this way, so pack does too.
 */
import { compileGoRegexp, GoRegexpSyntaxError } from './go-regexp.js';

/** Where a pattern came from, for error messages and `pack plan --why`. */
export interface PatternSource {
  /** The ignore file as the user would name it, e.g. `.dockerignore`. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
}

/** Raised when a pattern turns out not to compile (Go's filepath.ErrBadPattern). */
export class BadPatternError extends Error {
  override name = 'BadPatternError';
  constructor(
    readonly pattern: Pattern,
    readonly reason: string,
  ) {
    super(`syntax error in pattern ${JSON.stringify(pattern.text)}: ${reason}`);
  }
}

type Compiled =
  | { kind: 'exact' }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'regexp'; regexp: RegExp }
  | { kind: 'bad'; reason: string };

/** Characters moby escapes because they are special in a regexp but not in filepath.Match. */
const REGEXP_ONLY_SPECIALS = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

export class Pattern {
  /** True for `!pattern` (an exception that re-includes). */
  readonly exclusion: boolean;
  /** The pattern after cleaning and without its `!`. */
  readonly cleaned: string;
  /** `cleaned` split at `/` (moby uses the count for the deprecated one-level parent check). */
  readonly dirs: readonly string[];
  readonly source: PatternSource | undefined;
  private compiled: Compiled | undefined;

  constructor(cleaned: string, exclusion: boolean, source?: PatternSource) {
    this.cleaned = cleaned;
    this.exclusion = exclusion;
    this.dirs = cleaned.split('/');
    this.source = source;
  }

  /** The pattern as the user sees it (with its `!`). */
  get text(): string {
    return (this.exclusion ? '!' : '') + this.cleaned;
  }

  /** moby's Pattern.match. Throws BadPatternError when the pattern cannot be compiled. */
  match(path: string): boolean {
    const compiled = (this.compiled ??= compile(this.cleaned));
    switch (compiled.kind) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(compiled.prefix);
      case 'suffix':
        if (path.endsWith(compiled.suffix)) return true;
        // `**/foo` also matches `foo` itself.
        return compiled.suffix.startsWith('/') && path === compiled.suffix.slice(1);
      case 'regexp':
        return compiled.regexp.test(path);
      case 'bad':
        throw new BadPatternError(this, compiled.reason);
    }
  }

  /** Compiles now, so that a bad pattern is reported before any work starts. */
  check(): void {
    const compiled = (this.compiled ??= compile(this.cleaned));
    if (compiled.kind === 'bad') throw new BadPatternError(this, compiled.reason);
  }
}

/** moby's Pattern.compile with `/` as the separator. */
function compile(pattern: string): Compiled {
  const chars = Array.from(pattern);
  let regexp = '^';
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  let pos = 0;
  for (let i = 0; pos < chars.length; i += 1) {
    const ch = chars[pos++] as string;
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos += 1;
        // `**/` is treated as `**`.
        if (chars[pos] === '/') pos += 1;
        if (pos >= chars.length) {
          // A trailing `**` accepts everything, as in .gitignore.
          if (kind === 'exact') {
            kind = 'prefix';
          } else {
            regexp += '.*';
            kind = 'regexp';
          }
        } else {
          // Any number of directories, including none.
          regexp += '(.*/)?';
          kind = 'regexp';
        }
        if (i === 0) kind = 'suffix';
      } else {
        regexp += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      regexp += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_ONLY_SPECIALS.has(ch)) {
      regexp += `\\${ch}`;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        regexp += `\\${chars[pos++] as string}`;
        kind = 'regexp';
      } else {
        regexp += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      regexp += ch;
      kind = 'regexp';
    } else {
      regexp += ch;
    }
  }
  switch (kind) {
    case 'exact':
      return { kind };
    case 'prefix':
      return { kind, prefix: pattern.slice(0, -2) };
    case 'suffix':
      return { kind, suffix: pattern.slice(2) };
    case 'regexp':
      try {
        return { kind, regexp: compileGoRegexp(`${regexp}$`) };
      } catch (error) {
        if (error instanceof GoRegexpSyntaxError) return { kind: 'bad', reason: error.message };
        throw error;
      }
  }
}
