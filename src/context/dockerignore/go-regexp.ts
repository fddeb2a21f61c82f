/**
 * moby/patternmatcher turns each .dockerignore pattern into a Go regular expression (RE2 syntax) and
 * matches paths with Go's regexp package. Escapes in a pattern reach that regexp verbatim, so
 * `\d` in a .dockerignore line means "a digit", `\a` means BEL, `[a-*]` is an invalid range, and a
 * `^` outside a class is an anchor. To match exactly what Docker matches, this module parses the
 * RE2 subset that pattern compilation can produce and emits an equivalent JavaScript RegExp
 * (flag `v`, so that negated sets such as `\S` or `[:^alpha:]` can be nested inside classes).
 *
 * Every literal is emitted as `\u{…}` (or itself when alphanumeric), which is unambiguous in and
 * out of classes; Go's `.` (any character but newline) becomes `[^\n]`.
 */

export class GoRegexpSyntaxError extends Error {
  override name = 'GoRegexpSyntaxError';
}

export function compileGoRegexp(source: string): RegExp {
  const parser = new Parser(Array.from(source));
  const js = parser.parseAlternation();
  if (!parser.atEnd()) throw new GoRegexpSyntaxError('unexpected )');
  try {
    return new RegExp(js, 'v');
  } catch (error) {
    // Everything emitted above is valid JavaScript; reaching this is a bug in the translation.
    throw new Error(`internal: cannot translate Go regexp ${JSON.stringify(source)}: ${String(error)}`);
  }
}

const MAX_REPEAT = 1000;

const PERL_CLASSES: Record<string, { set: string; negated: boolean }> = {
  d: { set: '0-9', negated: false },
  D: { set: '0-9', negated: true },
  s: { set: '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}', negated: false },
  S: { set: '\\u{9}\\u{a}\\u{c}\\u{d}\\u{20}', negated: true },
  w: { set: '0-9A-Za-z_', negated: false },
  W: { set: '0-9A-Za-z_', negated: true },
};

/** Go's POSIX classes (regexp/syntax perl_groups.go), ASCII only. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\u{0}-\\u{7f}',
  blank: '\\u{9}\\u{20}',
  cntrl: '\\u{0}-\\u{1f}\\u{7f}',
  digit: '0-9',
  graph: '\\u{21}-\\u{7e}',
  lower: 'a-z',
  print: '\\u{20}-\\u{7e}',
  punct: '\\u{21}-\\u{2f}\\u{3a}-\\u{40}\\u{5b}-\\u{60}\\u{7b}-\\u{7e}',
  space: '\\u{9}-\\u{d}\\u{20}',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const GENERAL_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

function literal(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /^[A-Za-z0-9_]$/.test(c) ? c : `\\u{${cp.toString(16)}}`;
}

function set(body: string, negated: boolean): string {
  return `[${negated ? '^' : ''}${body}]`;
}

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function unhex(c: string | undefined): number {
  if (c === undefined || !/^[0-9A-Fa-f]$/.test(c)) return -1;
  return Number.parseInt(c, 16);
}

class Parser {
  private pos = 0;
  constructor(private readonly chars: string[]) {}

  atEnd(): boolean {
    return this.pos >= this.chars.length;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private next(): string {
    const c = this.chars[this.pos];
    if (c === undefined) throw new GoRegexpSyntaxError('unexpected end of pattern');
    this.pos += 1;
    return c;
  }

  parseAlternation(): string {
    const branches = [this.parseConcat()];
    while (this.peek() === '|') {
      this.pos += 1;
      branches.push(this.parseConcat());
    }
    return branches.join('|');
  }

  private parseConcat(): string {
    const atoms: string[] = [];
    // What the last atom is, for the repetition rules: none yet, a plain atom, or already repeated.
    let last: 'none' | 'atom' | 'repeated' | 'lazy' = 'none';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === ')' || c === '|') return atoms.join('');
      const repeat = this.tryRepeat();
      if (repeat !== undefined) {
        if (last === 'none') throw new GoRegexpSyntaxError(`missing argument to repetition operator: ${repeat}`);
        if (last === 'repeated' && repeat === '?') {
          atoms[atoms.length - 1] += '?';
          last = 'lazy';
          continue;
        }
        if (last !== 'atom') throw new GoRegexpSyntaxError(`invalid nested repetition operator: ${repeat}`);
        atoms[atoms.length - 1] = `(?:${atoms[atoms.length - 1] ?? ''})${repeat}`;
        last = 'repeated';
        continue;
      }
      atoms.push(this.parseAtom());
      last = 'atom';
    }
  }

  /** Consumes and returns a repetition operator at the current position, if there is one. */
  private tryRepeat(): string | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos += 1;
      return c;
    }
    if (c !== '{') return undefined;
    // `{n}`, `{n,}`, `{n,m}`; anything else is a literal `{` in Go.
    const rest = this.chars.slice(this.pos).join('');
    const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
    if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) {
      throw new GoRegexpSyntaxError(`invalid repeat count: ${m[0]}`);
    }
    this.pos += Array.from(m[0]).length;
    return m[0];
  }

  private parseAtom(): string {
    const c = this.next();
    switch (c) {
      case '(': {
        if (this.peek() === '?') throw new GoRegexpSyntaxError('unsupported group syntax');
        const inner = this.parseAlternation();
        if (this.peek() !== ')') throw new GoRegexpSyntaxError('missing closing )');
        this.pos += 1;
        return `(?:${inner})`;
      }
      case '[':
        return this.parseClass();
      case '\\':
        return this.parseTopEscape();
      case '.':
        return '[^\\n]';
      case '^':
        return '^';
      case '$':
        return '$';
      default:
        return literal(c.codePointAt(0) ?? 0);
    }
  }

  private parseTopEscape(): string {
    const c = this.peek();
    switch (c) {
      case 'A':
        this.pos += 1;
        return '^';
      case 'z':
        this.pos += 1;
        return '$';
      case 'b':
        this.pos += 1;
        return '\\b';
      case 'B':
        this.pos += 1;
        return '\\B';
      case 'C':
        this.pos += 1;
        return '[\\u{0}-\\u{10ffff}]';
      case 'Q': {
        this.pos += 1;
        let out = '';
        while (!this.atEnd()) {
          if (this.peek() === '\\' && this.peek(1) === 'E') {
            this.pos += 2;
            break;
          }
          out += literal(this.next().codePointAt(0) ?? 0);
        }
        return `(?:${out})`;
      }
      case 'p':
      case 'P':
        return this.parseUnicodeClass();
      default: {
        const perl = c === undefined ? undefined : PERL_CLASSES[c];
        if (perl) {
          this.pos += 1;
          return set(perl.set, perl.negated);
        }
        return literal(this.parseEscape());
      }
    }
  }

  /** Go's parseEscape, after the backslash: returns the code point it denotes. */
  private parseEscape(): number {
    const c = this.peek();
    if (c === undefined) throw new GoRegexpSyntaxError('trailing backslash at end of expression');
    this.pos += 1;
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x80 && !/^[A-Za-z0-9]$/.test(c)) return code; // escaped punctuation is itself
    if (c >= '1' && c <= '7' && !isOctal(this.peek())) {
      throw new GoRegexpSyntaxError(`invalid escape sequence: \\${c}`); // a backreference
    }
    if (c >= '0' && c <= '7') {
      let value = code - 0x30;
      for (let i = 1; i < 3 && isOctal(this.peek()); i += 1) value = value * 8 + (this.next().charCodeAt(0) - 0x30);
      return value;
    }
    if (c === 'x') {
      if (this.peek() === '{') {
        this.pos += 1;
        let value = 0;
        let digits = 0;
        for (;;) {
          const d = this.peek();
          if (d === undefined) throw new GoRegexpSyntaxError('invalid escape sequence: \\x{');
          this.pos += 1;
          if (d === '}') break;
          const v = unhex(d);
          if (v < 0) throw new GoRegexpSyntaxError('invalid escape sequence: \\x{');
          value = value * 16 + v;
          if (value > 0x10ffff) throw new GoRegexpSyntaxError('invalid escape sequence: \\x{');
          digits += 1;
        }
        if (digits === 0) throw new GoRegexpSyntaxError('invalid escape sequence: \\x{}');
        return value;
      }
      const x = unhex(this.peek());
      const y = unhex(this.peek(1));
      if (x < 0 || y < 0) throw new GoRegexpSyntaxError('invalid escape sequence: \\x');
      this.pos += 2;
      return x * 16 + y;
    }
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    const value = simple[c];
    if (value !== undefined) return value;
    throw new GoRegexpSyntaxError(`invalid escape sequence: \\${c}`);
  }

  /** `\pL`, `\p{Greek}`, `\PL`, `\p{^Greek}` at the current position (which is at `p`/`P`). */
  private parseUnicodeClass(): string {
    let negated = this.next() === 'P';
    let name: string;
    const c = this.next();
    if (c === '{') {
      const close = this.chars.indexOf('}', this.pos);
      if (close < 0) throw new GoRegexpSyntaxError('invalid character class range: \\p{');
      name = this.chars.slice(this.pos, close).join('');
      this.pos = close + 1;
    } else {
      name = c;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    let js: string;
    if (name === 'Any') js = '[\\u{0}-\\u{10ffff}]';
    else if (GENERAL_CATEGORIES.has(name)) js = `\\p{${name}}`;
    else if (/^[A-Za-z_]+$/.test(name)) js = `\\p{Script=${name}}`;
    else throw new GoRegexpSyntaxError(`invalid character class range: \\p{${name}}`);
    try {
      new RegExp(js, 'v');
    } catch {
      throw new GoRegexpSyntaxError(`invalid character class range: \\p{${name}}`);
    }
    return negated ? `[^${js}]` : js;
  }

  /** Go's parseClass, after the `[`. */
  private parseClass(): string {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos += 1;
    }
    const items: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new GoRegexpSyntaxError('missing closing ]');
      if (c === ']' && !first) {
        this.pos += 1;
        return set(items.join(''), negated);
      }
      first = false;
      if (c === '[' && this.peek(1) === ':') {
        const posix = this.tryPosixClass();
        if (posix !== undefined) {
          items.push(posix);
          continue;
        }
      }
      if (c === '\\') {
        const e = this.peek(1);
        const perl = e === undefined ? undefined : PERL_CLASSES[e];
        if (perl) {
          this.pos += 2;
          items.push(perl.negated ? set(perl.set, true) : perl.set);
          continue;
        }
        if (e === 'p' || e === 'P') {
          this.pos += 1;
          items.push(this.parseUnicodeClass());
          continue;
        }
      }
      const lo = this.parseClassChar();
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.pos += 1;
        const hi = this.parseClassChar();
        if (hi < lo) throw new GoRegexpSyntaxError('invalid character class range');
        items.push(`${literal(lo)}-${literal(hi)}`);
      } else {
        items.push(literal(lo));
      }
    }
  }

  private tryPosixClass(): string | undefined {
    // At `[:`; Go only treats it as a class when a `:]` follows.
    const rest = this.chars.slice(this.pos + 2);
    let end = -1;
    for (let i = 0; i + 1 < rest.length; i += 1) {
      if (rest[i] === ':' && rest[i + 1] === ']') {
        end = i;
        break;
      }
    }
    if (end < 0) return undefined;
    let name = rest.slice(0, end).join('');
    const negated = name.startsWith('^');
    if (negated) name = name.slice(1);
    const body = POSIX_CLASSES[name];
    if (body === undefined) throw new GoRegexpSyntaxError(`invalid character class range: [:${name}:]`);
    this.pos += 2 + end + 2;
    return negated ? set(body, true) : body;
  }

  private parseClassChar(): number {
    const c = this.next();
    if (c === '\\') return this.parseEscape();
    return c.codePointAt(0) ?? 0;
  }
}
