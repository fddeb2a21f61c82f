/**
 * Which credentials a registry gets, found exactly where and in the order the docker CLI looks
 * (cli/config/configfile/file.go GetCredentialsStore + credentials/*_store.go), for the key the CLI
 * uses (`https://index.docker.io/v1/` for Docker Hub, else `host[:port]`):
 *
 *   0. `--username` + `--password-stdin` (pack's own override, for this command and its push
 *      registries only);
 *   1. $DOCKER_AUTH_CONFIG (newer docker CLIs; GitLab CI sets it): an `auths` map in the config.json
 *      format, exact key match, else fall through;
 *   2. `credHelpers[key]` → `docker-credential-<helper> get`;
 *   3. else `credsStore` → `docker-credential-<store> get`. With a helper or a store chosen, the
 *      `auths` entry's user/password are NOT used (the CLI's nativeStore overwrites them with what
 *      the helper says, empty when it has nothing);
 *   4. else `auths`: the exact key, else the first key whose hostname (scheme and path removed,
 *      cli ConvertToHostname) equals it — `https://registry.example.com/v1/` serves
 *      `registry.example.com`.
 *
 * Credentials are only ever held in memory and sent to the engine; they are never printed,
 * logged, put in an event or an error, or written anywhere.
 */
import type { RegistryAuth, RegistryAuthResolver, RegistryConfig } from '../engine/registry-config.js';
import type { DockerConfig } from './docker-config.js';
import type { HelperRunner } from './credential-helper.js';
import { authKeyFor } from './repository-name.js';

export interface ResolvedCredentials {
  /** The registry domain asked about: `docker.io` or `host[:port]`. */
  readonly domain: string;
  /** The key the credentials are stored under and the engine looks up: Hub's URL or `host[:port]`. */
  readonly key: string;
  /** Undefined when there are none (anonymous access). */
  readonly auth?: RegistryAuth;
  /** Where they came from, for messages (never the values): `credHelpers["ghcr.io"] (docker-credential-gh)`. */
  readonly source: string;
}

export interface CredentialResolverOptions {
  readonly config: DockerConfig;
  readonly runHelper: HelperRunner;
  /** The value of $DOCKER_AUTH_CONFIG, when set. */
  readonly envAuthConfig?: string;
  /**
   * `--username` / `--password-stdin`, for the registries named in `domains` only (the push
   * targets): a build's base images from other registries must never be sent this password.
   */
  readonly override?: { readonly username: string; readonly password: string; readonly domains: readonly string[] };
}

export interface CredentialResolver {
  resolve(domain: string, signal?: AbortSignal): Promise<ResolvedCredentials>;
  /** The build's X-Registry-Config seam: credentials for the registries FROM lines pull from. */
  readonly registryAuth: RegistryAuthResolver;
}

export function createCredentialResolver(options: CredentialResolverOptions): CredentialResolver {
  const cache = new Map<string, Promise<ResolvedCredentials>>();
  const envAuths = parseEnvAuthConfig(options.envAuthConfig);
  const resolve = (domain: string, signal?: AbortSignal): Promise<ResolvedCredentials> => {
    let pending = cache.get(domain);
    if (pending === undefined) {
      pending = lookup(domain, options, envAuths, signal);
      cache.set(domain, pending);
      // A failed lookup (a helper that crashed) is not remembered: the next ask runs it again.
      pending.catch(() => cache.delete(domain));
    }
    return pending;
  };
  return {
    resolve,
    registryAuth: async (registries, signal) => {
      const config: Record<string, RegistryAuth> = {};
      for (const domain of registries) {
        const found = await resolve(domain, signal);
        if (found.auth !== undefined) config[found.key] = found.auth;
      }
      return config as RegistryConfig;
    },
  };
}

async function lookup(
  domain: string,
  options: CredentialResolverOptions,
  envAuths: Readonly<Record<string, RegistryAuth>> | undefined,
  signal?: AbortSignal,
): Promise<ResolvedCredentials> {
  const key = authKeyFor(domain);
  const found = (auth: Omit<RegistryAuth, 'serveraddress'> | undefined, source: string): ResolvedCredentials => {
    const usable = auth !== undefined && (nonEmpty(auth.username) || nonEmpty(auth.password) || nonEmpty(auth.identitytoken) || nonEmpty(auth.registrytoken));
    return { domain, key, source, ...(usable ? { auth: { ...auth, serveraddress: key } } : {}) };
  };

  if (options.override !== undefined && options.override.domains.includes(domain)) {
    return found({ username: options.override.username, password: options.override.password }, '--username/--password-stdin');
  }
  const fromEnv = envAuths?.[key];
  if (fromEnv !== undefined) return found(fromEnv, `DOCKER_AUTH_CONFIG auths[${JSON.stringify(key)}]`);

  const { config } = options;
  const helper = config.credHelpers[key];
  if (helper !== undefined) {
    return found(await options.runHelper(helper, key, signal), `credHelpers[${JSON.stringify(key)}] in ${config.path} (docker-credential-${helper})`);
  }
  if (config.credsStore !== undefined) {
    return found(await options.runHelper(config.credsStore, key, signal), `credsStore in ${config.path} (docker-credential-${config.credsStore})`);
  }
  const exact = config.auths[key];
  if (exact !== undefined) return found(exact, `auths[${JSON.stringify(key)}] in ${config.path}`);
  // Sorted, so that two keys for one host resolve the same way every time (Go's map order is random).
  for (const candidate of Object.keys(config.auths).sort()) {
    if (convertToHostname(candidate) === key) return found(config.auths[candidate], `auths[${JSON.stringify(candidate)}] in ${config.path}`);
  }
  return { domain, key, source: `no credentials for ${key} in ${config.path}` };
}

/** cli/config/credentials ConvertToHostname: `https://host:5000/v1/` → `host:5000`; `host/path` → `host`. */
export function convertToHostname(maybeUrl: string): string {
  const scheme = maybeUrl.indexOf('://');
  if (scheme !== -1) {
    // Parsed by hand rather than with WHATWG URL, which lowercases hosts and drops default ports
    // (Go's url.Parse does neither, and the keys must compare as the CLI compares them).
    const authority = (maybeUrl.slice(scheme + 3).split(/[/?#]/)[0] ?? '').replace(/^.*@/, '');
    const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(authority);
    if (bracketed) return bracketed[2] ? `[${bracketed[1]}]:${bracketed[2]}` : (bracketed[1] as string);
    if (authority !== '' && !authority.startsWith(':')) return authority.replace(/:$/, '');
  }
  return maybeUrl.split('/')[0] ?? maybeUrl;
}

/** $DOCKER_AUTH_CONFIG: `{"auths": {"host": {"auth": "base64(user:pass)"}}}`; ignored when it does not parse, as the CLI does. */
function parseEnvAuthConfig(text: string | undefined): Readonly<Record<string, RegistryAuth>> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const auths = (raw as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return undefined;
  const result: Record<string, RegistryAuth> = {};
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    const auth = (value as { auth?: unknown } | null)?.auth;
    if (typeof auth !== 'string') return undefined;
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    result[key] = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
  }
  return result;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}
