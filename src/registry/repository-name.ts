/**
 * Repository names as Docker normalises them (github.com/distribution/reference, normalize.go
 * splitDockerDomain): the first path component is a registry host when it contains "." or ":", is
 * "localhost", or has an uppercase letter; otherwise the image lives on Docker Hub, `docker.io`,
 * where a single-component name is an official image under `library/`:
 *   app                     → docker.io/library/app
 *   me/app                  → docker.io/me/app
 *   index.docker.io/me/app  → docker.io/me/app
 *   127.0.0.1:5000/ns/app   → 127.0.0.1:5000/ns/app
 * Syntax is checked by src/plan/image-reference.ts (the one reference grammar in pack).
 */
import { UsageError } from '../errors.js';
import { parseImageReference, type ImageReference } from '../plan/image-reference.js';

export const DOCKER_HUB_DOMAIN = 'docker.io';
/** The key the docker CLI stores Docker Hub credentials under, and the engine looks them up by. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** Where Docker Hub's registry API really answers. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface RepositoryName {
  /** As the user wrote it (and as local tags carry it): `app`, `me/app`, `127.0.0.1:5000/ns/app`. */
  readonly familiar: string;
  /** `docker.io`, or `host[:port]` exactly as written. */
  readonly domain: string;
  /** The repository inside the registry: `library/app`, `me/app`, `ns/app`. */
  readonly path: string;
  /** `docker.io/library/app`. */
  readonly canonical: string;
}

export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain: string;
  let remainder: string;
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DOCKER_HUB_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB_DOMAIN;
  if (domain === DOCKER_HUB_DOMAIN && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

/** A repository name without tag or digest (`--repository`), validated. */
export function parseRepositoryName(text: string, origin: string): RepositoryName {
  const reference = parseImageReference(text, origin);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw new UsageError('BAD_REPOSITORY', `${origin}: ${JSON.stringify(text)} names a tag or digest; give the repository only`, {
      hint: 'e.g. --repository registry.example.com/team/app (the tags come from the version)',
    });
  }
  return repositoryOf(reference);
}

export function repositoryOf(reference: Pick<ImageReference, 'name'>): RepositoryName {
  const { domain, remainder } = splitDockerDomain(reference.name);
  return { familiar: reference.name, domain, path: remainder, canonical: `${domain}/${remainder}` };
}

/** The config.json / X-Registry-Config key for a registry domain: Docker Hub's URL, else host[:port]. */
export function authKeyFor(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_AUTH_KEY : domain;
}

/** The `docker login` command that stores credentials for a domain. */
export function loginCommandFor(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? 'docker login' : `docker login ${domain}`;
}
