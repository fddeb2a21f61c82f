/**
 * `WWW-Authenticate` challenges (RFC 7235 §4.1) as registries send them:
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/app:pull"
 *   Basic realm="pack-test"
 * Parameter values may be quoted (with `\` escapes) and contain commas (`scope="repository:a:pull,push"`);
 * several challenges may share one header. Scheme names compare case-insensitively.
 */

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i += 1;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i] as string)) i += 1;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i += 1;
      continue;
    }
    const scheme = token();
    if (scheme === '') {
      i += 1;
      continue;
    }
    const challenge = { scheme: scheme.toLowerCase(), params: {} as Record<string, string> };
    challenges.push(challenge);
    // auth-params: name=value pairs separated by commas, until the next scheme (a token not followed by '=').
    for (;;) {
      skipSpace();
      const mark = i;
      const name = token();
      skipSpace();
      if (name === '' || header[i] !== '=') {
        i = mark;
        break;
      }
      i += 1;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i += 1;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i += 1;
          value += header[i];
          i += 1;
        }
        i += 1;
      } else {
        // RFC 7235 wants a token here; lenient like Go's parsers, an unquoted value runs to the next comma or space.
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i += 1;
        value = header.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] === ',') {
        i += 1;
        continue;
      }
      break;
    }
  }
  return challenges;
}
