/**
 * Image references for `-t`, checked the way the engine will check them (distribution/reference's
 * grammar) so that a bad tag is a usage error naming the flag, before anything is read or sent,
 * rather than a 500 from /build after the upload.
 *
 *   reference := name [ ":" tag ]
 *   name      := [domain "/"] path-component ("/" path-component)*
 *   domain    := host [":" port]   (a first component with "." or ":", or "localhost")
 *   path-component := [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
 *   tag       := [\w][\w.-]{0,127}
 *
 * Digests (`@sha256:…`) cannot be a build's tag; docker build refuses them too.
 */
import { UsageError } from '../errors.js';

export interface ImageReference {
  /** The repository as written (no docker.io/library/ added), e.g. `registry:5000/team/app`. */
  readonly repository: string;
  /** `latest` when none was given, as docker does. */
  readonly tag: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 255;

export function parseImageReference(input: string, flag = '-t/--tag'): ImageReference {
  const bad = (why: string, hint = 'use lowercase NAME[:TAG], e.g. my-app:1.0 or registry.example.com:5000/team/app:dev'): UsageError =>
    new UsageError('BAD_IMAGE_REFERENCE', `${flag} "${input}": ${why}`, { hint });
  if (input === '') throw bad('empty image name');
  if (input.includes('@')) throw bad('a digest cannot be used as a build tag', 'give a tag such as NAME:1.0 instead of NAME@sha256:…');
  // The tag is after the last ':' that follows the last '/' (a ':' before it is a registry port).
  const lastSlash = input.lastIndexOf('/');
  const colon = input.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? input : input.slice(0, colon);
  const tag = colon === -1 ? 'latest' : input.slice(colon + 1);
  if (colon !== -1 && !TAG.test(tag)) {
    throw bad(`invalid tag "${tag}" (letters, digits, _ . - only, at most 128, not starting with . or -)`);
  }
  if (name.length > MAX_NAME) throw bad(`repository name longer than ${MAX_NAME} characters`);
  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain) {
    checkDomain(first, bad);
    parts.shift();
  }
  for (const part of parts) {
    if (part === '') throw bad('empty path component (a doubled or trailing "/")');
    if (!PATH_COMPONENT.test(part)) {
      throw bad(
        part !== part.toLowerCase()
          ? 'repository name must be lowercase'
          : `invalid name component "${part}" (lowercase letters, digits and single separators . _ __ - only)`,
      );
    }
  }
  return { repository: name, tag };
}

export function formatImageReference(reference: ImageReference): string {
  return `${reference.repository}:${reference.tag}`;
}

function checkDomain(domain: string, bad: (why: string) => UsageError): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    if (end === -1) throw bad(`invalid registry "${domain}"`);
    host = domain.slice(1, end);
    const rest = domain.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw bad(`invalid registry "${domain}"`);
    port = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(host)) throw bad(`invalid IPv6 registry address "${domain}"`);
  } else {
    const at = domain.indexOf(':');
    if (at !== -1) {
      host = domain.slice(0, at);
      port = domain.slice(at + 1);
    }
    if (!host.split('.').every((label) => DOMAIN_COMPONENT.test(label))) throw bad(`invalid registry host "${host}"`);
  }
  if (port !== undefined && !/^[0-9]+$/.test(port)) throw bad(`invalid registry port "${port}"`);
}
