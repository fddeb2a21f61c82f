/**
 * What a failed push means. Push failures arrive as `error` messages inside the engine's 200
 * stream, with no status code (errorDetail.code is not set for push), so the engine's words are all
 * there is. They are matched against identifiers, not prose:
 *  - distribution's error codes, which the engine prints as `<code lowercased>: <message>`
 *    (errcode.ErrorCode.Error): `unauthorized: …`, `denied: …`, `toomanyrequests: …`;
 *  - the engine's own auth failures: `no basic auth credentials` (registry client, no credentials
 *    for a Basic challenge), HTTP status texts `401 Unauthorized` / `403 Forbidden`;
 *  - Go's network error strings (syscall errno texts, net/http and crypto/tls messages), which are
 *    stable across Go versions: `connection refused`, `connection reset by peer`, `i/o timeout`, …
 * Checked on Docker 20.10 against registry 2.8 (test/engine/push-*.test.ts).
 */
import { PackError } from '../errors.js';
import { loginCommandFor } from './repository-name.js';

export type PushFailureKind = 'auth' | 'transient' | 'missing' | 'permanent';

const AUTH = [
  /(?:^|\n)(?:errors:\n)?(?:unauthorized|denied|insufficient[ _]scope|forbidden):/i,
  /\bno basic auth credentials\b/i,
  /\b401 Unauthorized\b/,
  /\b403 Forbidden\b/,
  /requested access to the resource is denied/i,
  /\bincorrect username or password\b/i,
];

const TRANSIENT = [
  /\bconnection refused\b/i,
  /\bconnection reset by peer\b/i,
  /\bbroken pipe\b/i,
  /\bi\/o timeout\b/i,
  /\bTLS handshake timeout\b/i,
  /\bnet\/http: (?:request canceled|timeout awaiting response headers|HTTP\/1\.x transport connection broken)/i,
  /\bClient\.Timeout exceeded\b/,
  /\bunexpected EOF\b/,
  /(?:^|[\s:"])EOF"?$/,
  /\buse of closed network connection\b/i,
  /\bserver sent GOAWAY\b/i,
  /\bTemporary failure in name resolution\b/i,
  /\bserver misbehaving\b/i,
  /\btoomanyrequests:/i,
  /\b(?:500 Internal Server Error|502 Bad Gateway|503 Service Unavailable|504 Gateway Timeout)\b/,
  /\breceived unexpected HTTP status: 5\d\d\b/,
];

const MISSING = [/\btag does not exist\b/i, /\bAn image does not exist locally\b/i, /\bNo such image\b/i];

export function classifyPushFailure(message: string): PushFailureKind {
  if (AUTH.some((pattern) => pattern.test(message))) return 'auth';
  if (MISSING.some((pattern) => pattern.test(message))) return 'missing';
  if (TRANSIENT.some((pattern) => pattern.test(message))) return 'transient';
  return 'permanent';
}

/** One failed attempt at pushing one tag: the engine's words and what they mean. */
export class PushAttemptError extends PackError {
  constructor(
    readonly reference: string,
    readonly engineMessage: string,
    readonly kind: PushFailureKind,
  ) {
    super('PUSH_FAILED', `push ${reference}: ${engineMessage}`);
  }
}

/** The registry refused the credentials (or their absence): one line naming it and how to log in. */
export function authFailure(domain: string, engineMessage: string, credentialSource: string): PackError {
  const login = loginCommandFor(domain);
  const used = credentialSource.startsWith('no credentials') ? `no credentials were found (${credentialSource.replace(/^no credentials for \S+ /, '')})` : `credentials from ${credentialSource}`;
  return new PackError(
    'PUSH_UNAUTHORIZED',
    `${domain} refused the push (${engineMessage.trim().split('\n').join(' ')}); ${used} — log in with \`${login}\`, or pass --username with --password-stdin`,
  );
}
