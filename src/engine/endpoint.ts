/**
 * Which Docker engine to talk to, decided exactly as the docker CLI decides it
 * (docker/cli cli/command/cli.go resolveContextName + resolveDefaultDockerEndpoint):
 *
 *   1. `--host` (pack's flag, like `docker -H`)            → the "default" context with that host
 *   2. `--context` (pack's flag, like `docker --context`)  → that context
 *   3. `DOCKER_HOST`                                      → the "default" context with that host
 *   4. `DOCKER_CONTEXT`                                   → that context
 *   5. `currentContext` in `$DOCKER_CONFIG/config.json`   → that context (written by `docker context use`)
 *   6. otherwise unix:///var/run/docker.sock
 *
 * dockerode reads only DOCKER_HOST (and guesses TLS from port 2376, which the CLI never does), so
 * pack resolves the endpoint itself and hands dockerode explicit options. Named contexts live in
 * `$DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json`, their TLS files in
 * `$DOCKER_CONFIG/contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem`.
 *
 * Everything the resolution reads from the process (env, home directory) is passed in.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, errnoCode } from '../errors.js';

export interface EndpointTls {
  /** Verify the server certificate against `caFile` (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  readonly verify: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export type EndpointAddress =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /** URL path prefix, e.g. `/docker` for tcp://host:2375/docker. */
      readonly basePath: string;
      readonly tls?: EndpointTls;
    }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly user?: string;
      readonly port?: number;
      /** Remote socket path (ssh://host/run/docker.sock), passed to `docker system dial-stdio --host`. */
      readonly socketPath?: string;
    };

export type EndpointSource = 'flag' | 'context-flag' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config' | 'default';

export interface EngineEndpoint {
  readonly address: EndpointAddress;
  /** The host string as the user would write it, e.g. `unix:///var/run/docker.sock`. */
  readonly url: string;
  /** Why this endpoint was chosen. */
  readonly source: EndpointSource;
  /** Docker context name when the endpoint came from a context (`default` otherwise). */
  readonly contextName: string;
  /** Human description of the choice, e.g. `DOCKER_HOST=tcp://10.0.0.5:2376 (TLS, verified)`. */
  readonly reason: string;
}

export interface EndpointInput {
  /** `--host` value. */
  readonly host?: string;
  /** `--context` value. */
  readonly context?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory (the CLI passes os.homedir()). */
  readonly homeDir: string;
}

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_HOST = 'tcp://localhost:2376';
const DEFAULT_CONTEXT = 'default';

/** `$DOCKER_CONFIG` or `~/.docker`, as docker/cli cli/config.Dir(). */
export function dockerConfigDir(env: EndpointInput['env'], homeDir: string): string {
  const fromEnv = env['DOCKER_CONFIG'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homeDir, '.docker');
}

export async function resolveEndpoint(input: EndpointInput): Promise<EngineEndpoint> {
  const { env } = input;
  const configDir = dockerConfigDir(env, input.homeDir);
  if (input.host !== undefined && input.context !== undefined) {
    throw new UsageError('ENGINE_CONFLICTING_FLAGS', 'conflicting options: --host and --context', {
      hint: 'give one of them: --host names an engine address, --context a docker context',
    });
  }
  if (input.host !== undefined) return defaultContextEndpoint(input.host, 'flag', `--host ${input.host}`, env, configDir);
  if (input.context !== undefined) return contextEndpoint(input.context, 'context-flag', `--context ${input.context}`, env, configDir);
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost !== '') {
    return defaultContextEndpoint(dockerHost, 'DOCKER_HOST', `DOCKER_HOST=${dockerHost}`, env, configDir);
  }
  const envContext = env['DOCKER_CONTEXT'];
  if (envContext !== undefined && envContext !== '') {
    return contextEndpoint(envContext, 'DOCKER_CONTEXT', `DOCKER_CONTEXT=${envContext}`, env, configDir);
  }
  const configFile = join(configDir, 'config.json');
  const current = await readCurrentContext(configFile);
  if (current !== undefined && current !== '') {
    return contextEndpoint(current, 'config', `currentContext "${current}" in ${configFile}`, env, configDir);
  }
  return defaultContextEndpoint(undefined, 'default', 'the default socket', env, configDir);
}

/**
 * The "default" context: a host from `--host`/DOCKER_HOST (or the default socket) with TLS from the
 * environment. The docker CLI turns TLS on for any non-empty DOCKER_TLS_VERIFY
 * (`os.Getenv(client.EnvTLSVerify) != ""`), takes certificates from DOCKER_CERT_PATH or the config
 * dir, and drops cert.pem/key.pem when they do not exist (client auth is optional; the CA is not).
 */
async function defaultContextEndpoint(
  host: string | undefined,
  source: EndpointSource,
  origin: string,
  env: EndpointInput['env'],
  configDir: string,
): Promise<EngineEndpoint> {
  const tlsVerify = (env['DOCKER_TLS_VERIFY'] ?? '') !== '';
  let tls: EndpointTls | undefined;
  if (tlsVerify) {
    const certPath = env['DOCKER_CERT_PATH'] !== undefined && env['DOCKER_CERT_PATH'] !== '' ? env['DOCKER_CERT_PATH'] : configDir;
    const certFile = join(certPath, 'cert.pem');
    const keyFile = join(certPath, 'key.pem');
    tls = {
      verify: true,
      caFile: join(certPath, 'ca.pem'),
      ...((await exists(certFile)) ? { certFile } : {}),
      ...((await exists(keyFile)) ? { keyFile } : {}),
    };
  }
  const raw = host === undefined || host.trim() === '' ? (tls ? DEFAULT_TLS_HOST : `unix://${DEFAULT_UNIX_SOCKET}`) : host.trim();
  const address = parseHost(raw, tls, origin);
  const url = formatAddress(address);
  const reason = source === 'default' ? `${origin}: no --host, DOCKER_HOST, DOCKER_CONTEXT or current docker context` : origin;
  return { address, url, source, contextName: DEFAULT_CONTEXT, reason: withTlsNote(reason, address) };
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

async function contextEndpoint(
  name: string,
  source: EndpointSource,
  origin: string,
  env: EndpointInput['env'],
  configDir: string,
): Promise<EngineEndpoint> {
  // The reserved name "default" is not stored on disk: it means DOCKER_HOST / the default socket.
  if (name === DEFAULT_CONTEXT) {
    const host = env['DOCKER_HOST'];
    return defaultContextEndpoint(host, source, `${origin} (the default context)`, env, configDir);
  }
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(await readFile(metaFile, 'utf8')) as ContextMeta;
  } catch (error) {
    const missing = errnoCode(error) === 'ENOENT';
    throw new UsageError(
      'ENGINE_CONTEXT_NOT_FOUND',
      missing
        ? `docker context "${name}" (from ${origin}) does not exist: no ${metaFile}`
        : `docker context "${name}" (from ${origin}): cannot read ${metaFile}: ${(error as Error).message}`,
      { hint: 'list contexts with `docker context ls`, or choose the engine with --host / DOCKER_HOST', cause: error },
    );
  }
  const docker = meta.Endpoints?.docker;
  if (docker?.Host === undefined || docker.Host === '') {
    throw new UsageError('ENGINE_CONTEXT_NO_DOCKER', `docker context "${name}" has no docker endpoint (${metaFile})`, {
      hint: 'inspect it with `docker context inspect`, or choose the engine with --host / DOCKER_HOST',
    });
  }
  // TLS material a context carries (`docker context create --docker "host=…,ca=…,cert=…,key=…"`).
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const caFile = join(tlsDir, 'ca.pem');
  const certFile = join(tlsDir, 'cert.pem');
  const keyFile = join(tlsDir, 'key.pem');
  const [hasCa, hasCert, hasKey] = await Promise.all([exists(caFile), exists(certFile), exists(keyFile)]);
  const skipVerify = docker.SkipTLSVerify === true;
  const tls: EndpointTls | undefined =
    hasCa || hasCert || hasKey || skipVerify
      ? {
          verify: !skipVerify,
          ...(hasCa ? { caFile } : {}),
          ...(hasCert ? { certFile } : {}),
          ...(hasKey ? { keyFile } : {}),
        }
      : undefined;
  const address = parseHost(docker.Host, tls, `context "${name}" (${metaFile})`);
  const url = formatAddress(address);
  return { address, url, source, contextName: name, reason: withTlsNote(`context "${name}" → ${url} (${origin})`, address) };
}

/**
 * docker/cli opts/hosts.go parseDaemonHost: a bare `host:port` means tcp; `unix://` alone means the
 * default socket; tcp without a port gets 2375 (even with TLS: the CLI only defaults to 2376 when no
 * host is given at all); ssh:// is passed through to the ssh connection helper.
 */
export function parseHost(raw: string, tls: EndpointTls | undefined, origin: string): EndpointAddress {
  const invalid = (why: string): UsageError =>
    new UsageError('ENGINE_BAD_HOST', `invalid engine address "${raw}" (${origin}): ${why}`, {
      hint: 'use unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host[:port]',
    });
  const schemeAt = raw.indexOf('://');
  const scheme = schemeAt === -1 ? 'tcp' : raw.slice(0, schemeAt);
  const rest = schemeAt === -1 ? raw : raw.slice(schemeAt + 3);
  switch (scheme) {
    case 'unix': {
      if (rest.includes('://')) throw invalid('more than one scheme');
      return { kind: 'unix', socketPath: rest === '' ? DEFAULT_UNIX_SOCKET : rest };
    }
    case 'tcp': {
      let url: URL;
      try {
        url = new URL(`tcp://${rest}`);
      } catch {
        throw invalid('not a valid tcp address');
      }
      if (url.username !== '' || url.search !== '' || url.hash !== '') throw invalid('tcp addresses take no user, query or fragment');
      const port = url.port === '' ? DEFAULT_TCP_PORT : Number(url.port);
      const host = url.hostname === '' ? 'localhost' : url.hostname.replace(/^\[(.*)\]$/, '$1');
      const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
      return { kind: 'tcp', host, port, basePath, ...(tls ? { tls } : {}) };
    }
    case 'ssh': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw invalid('not a valid ssh address');
      }
      if (url.hostname === '') throw invalid('no host');
      if (url.password !== '') throw invalid('plain-text passwords are not supported; use an ssh key or agent');
      if (url.search !== '' || url.hash !== '') throw invalid('ssh addresses take no query or fragment');
      return {
        kind: 'ssh',
        host: url.hostname,
        ...(url.username !== '' ? { user: decodeURIComponent(url.username) } : {}),
        ...(url.port !== '' ? { port: Number(url.port) } : {}),
        ...(url.pathname !== '' && url.pathname !== '/' ? { socketPath: url.pathname } : {}),
      };
    }
    case 'npipe':
      throw invalid('named pipes exist only on Windows');
    case 'fd':
      throw invalid('fd:// is a daemon listen address, not one a client can dial');
    default:
      throw invalid(`unknown scheme "${scheme}://"`);
  }
}

export function formatAddress(address: EndpointAddress): string {
  switch (address.kind) {
    case 'unix':
      return `unix://${address.socketPath}`;
    case 'tcp': {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      return `tcp://${host}:${address.port}${address.basePath}`;
    }
    case 'ssh':
      return `ssh://${address.user !== undefined ? `${address.user}@` : ''}${address.host}${address.port !== undefined ? `:${address.port}` : ''}${address.socketPath ?? ''}`;
  }
}

function withTlsNote(reason: string, address: EndpointAddress): string {
  if (address.kind !== 'tcp' || address.tls === undefined) return reason;
  return `${reason} (TLS, ${address.tls.verify ? 'verified' : 'not verified'})`;
}

async function readCurrentContext(configFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new UsageError('ENGINE_CONFIG_UNREADABLE', `cannot read ${configFile}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError('ENGINE_CONFIG_INVALID', `${configFile} is not valid JSON: ${(error as Error).message}`, {
      hint: 'fix or remove the file (docker login and docker context use rewrite it)',
      cause: error,
    });
  }
  const current = (parsed as { currentContext?: unknown } | null)?.currentContext;
  return typeof current === 'string' ? current : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
