/**
 * Syntax check of Go's path/filepath.Match, which moby/patternmatcher runs on every pattern when the
 * matcher is created (`filepath.Match(p, ".")`). Since Go 1.16 Match reports ErrBadPattern for any
 * malformed chunk, so validity is a property of the pattern alone:
 *  - `\` escapes the next byte and must not end the pattern;
 *  - a class is `[`, an optional `^`, then at least one element, then `]`; an element is a character
 *    (optionally `\`-escaped) or a range `lo-hi`; an element may not start with `-` or `]`.
 * `!` has no meaning inside a class here: `[!a]` is the class of `!` and `a`, as in Docker.
 * Returns a short reason when the pattern is malformed, undefined when it is valid.
 */
export function globSyntaxError(pattern: string): string | undefined {
  const chars = Array.from(pattern);
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === '\\') {
      if (i + 1 >= chars.length) return 'trailing backslash';
      i += 2;
    } else if (c === '[') {
      const end = classEnd(chars, i + 1);
      if (typeof end === 'string') return end;
      i = end;
    } else {
      i += 1;
    }
  }
  return undefined;
}

/** Parses a class body starting after `[`; returns the index after `]` or an error reason. */
function classEnd(chars: string[], start: number): number | string {
  let i = start;
  if (chars[i] === '^') i += 1;
  let ranges = 0;
  for (;;) {
    if (chars[i] === ']' && ranges > 0) return i + 1;
    const lo = classChar(chars, i);
    if (typeof lo === 'string') return lo;
    i = lo;
    if (chars[i] === '-') {
      const hi = classChar(chars, i + 1);
      if (typeof hi === 'string') return hi;
      i = hi;
    }
    ranges += 1;
  }
}

/** Go's getEsc: one (possibly escaped) class character; the class must continue after it. */
function classChar(chars: string[], start: number): number | string {
  let i = start;
  const c = chars[i];
  if (c === undefined) return 'unterminated character class';
  if (c === '-' || c === ']') return `unexpected '${c}' in character class`;
  if (c === '\\') {
    i += 1;
    if (chars[i] === undefined) return 'unterminated character class';
  }
  i += 1;
  if (i >= chars.length) return 'unterminated character class';
  return i;
}
