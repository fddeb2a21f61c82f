/**
 * Engine access for tests: where the engine is (DOCKER_HOST, read the way the docker CLI reads it),
 * whether it answers (probed once per test file, at import), and how engine suites declare
 * themselves so that "no engine" is never a silent pass:
 *  - engine reachable            → a normal `describe`;
 *  - unreachable, PACK_REQUIRE_ENGINE=1 (CI, set by .ci/run) → one failing test naming the address
 *    and the reason;
 *  - unreachable otherwise       → `describe.skip` plus a loud banner on stderr.
 *
 * Tests may use dockerode directly (only src/ is limited to src/engine).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, it } from 'vitest';

/** Label every test image and container carries, so leftovers can be found: `docker images -f label=dev.pack.test=1`. */
export const PACK_TEST_LABEL = 'dev.pack.test=1';
/** The same label as an object, for dockerode's `Labels` / build `labels` options. */
export const PACK_TEST_LABELS: Readonly<Record<string, string>> = Object.freeze({ 'dev.pack.test': '1' });

const PROBE_TIMEOUT_MS = 5_000;

export interface EngineAddress {
  /** What the docker CLI would print, e.g. `unix:///var/run/docker.sock` or `tcp://10.0.0.2:2375`. */
  display: string;
  options: Docker.DockerOptions;
}

/**
 * DOCKER_HOST as the docker CLI reads it: unset → unix:///var/run/docker.sock (the CLI's default;
 * CLI contexts are not consulted); `unix://PATH`; `tcp://HOST:PORT` with TLS when DOCKER_TLS_VERIFY
 * is non-empty (certificates from DOCKER_CERT_PATH, default ~/.docker). Anything else is refused
 * here rather than guessed at.
 */
export function engineAddressFromEnv(env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const host = env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || '/var/run/docker.sock';
    return { display: `unix://${socketPath}`, options: { socketPath } };
  }
  if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const tls = (env.DOCKER_TLS_VERIFY ?? '') !== '';
    // The docker CLI's default ports: 2376 with TLS, 2375 without.
    const port = url.port || (tls ? '2376' : '2375');
    const options: Docker.DockerOptions = { host: url.hostname, port, protocol: tls ? 'https' : 'http' };
    if (tls) {
      const certDir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
      options.ca = readFileSync(join(certDir, 'ca.pem'));
      options.cert = readFileSync(join(certDir, 'cert.pem'));
      options.key = readFileSync(join(certDir, 'key.pem'));
    }
    return { display: `tcp://${url.hostname}:${port}`, options };
  }
  throw new Error(`DOCKER_HOST=${host}: the test helpers understand unix:// and tcp:// only`);
}

export interface EngineProbe {
  reachable: boolean;
  /** Address probed, as the docker CLI would print it. */
  address: string;
  /** Engine API version from /version (e.g. "1.41"), when reachable. */
  apiVersion?: string;
  /** Engine version from /version (e.g. "20.10.24+dfsg1"), when reachable. */
  engineVersion?: string;
  os?: string;
  /** Why it is unreachable (error code and message), when it is not. */
  reason?: string;
}

/** Whether CI demands an engine: "no engine" then fails instead of skipping. */
export const engineRequired = process.env.PACK_REQUIRE_ENGINE === '1';

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = (error as { statusCode?: unknown }).statusCode;
    const prefix =
      typeof code === 'string' && !error.message.includes(code)
        ? `${code}: `
        : typeof status === 'number'
          ? `HTTP ${status}: `
          : '';
    return `${prefix}${error.message}`;
  }
  return String(error);
}

interface AbortableProbe {
  ping(options: { abortSignal: AbortSignal }): Promise<unknown>;
  version(options: { abortSignal: AbortSignal }): Promise<Docker.DockerVersion>;
}

/** Ping and version with a hard time bound; never throws. */
export async function probeEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = PROBE_TIMEOUT_MS): Promise<EngineProbe> {
  let address: EngineAddress;
  try {
    address = engineAddressFromEnv(env);
  } catch (error) {
    return { reachable: false, address: env.DOCKER_HOST ?? '(unset)', reason: describeError(error) };
  }
  // dockerode's ping/version accept { abortSignal } (lib/docker.js) though @types/dockerode omits it.
  const docker = new Docker({ ...address.options, timeout: timeoutMs }) as unknown as AbortableProbe;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const pong: unknown = await docker.ping({ abortSignal: abort.signal });
    const text = Buffer.isBuffer(pong) ? pong.toString('utf8') : String(pong);
    if (text !== 'OK') return { reachable: false, address: address.display, reason: `/_ping answered ${JSON.stringify(text)}, not OK` };
    const version = await docker.version({ abortSignal: abort.signal });
    return {
      reachable: true,
      address: address.display,
      apiVersion: version.ApiVersion,
      engineVersion: version.Version,
      os: version.Os,
    };
  } catch (error) {
    const reason = abort.signal.aborted ? `no answer within ${timeoutMs} ms` : describeError(error);
    return { reachable: false, address: address.display, reason };
  } finally {
    clearTimeout(timer);
  }
}

/** Probed once per test file (vitest evaluates this module once per file). */
export const engineProbe: EngineProbe = await probeEngine();

/** A dockerode client for the probed address. */
export function createDocker(): Docker {
  return new Docker(engineAddressFromEnv().options);
}

/**
 * Declares an engine suite. See the file comment for the three outcomes; the skip is announced on
 * stderr so that a local run without an engine cannot be mistaken for a green engine run.
 */
export function describeEngine(name: string, fn: () => void): void {
  if (engineProbe.reachable) {
    describe(name, fn);
    return;
  }
  const where = `${engineProbe.address}: ${engineProbe.reason ?? 'unknown reason'}`;
  if (engineRequired) {
    describe(name, () => {
      it('has a Docker engine', () => {
        throw new Error(`engine required (PACK_REQUIRE_ENGINE=1) but unreachable at ${where}`);
      });
    });
    return;
  }
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!!! ENGINE SUITE SKIPPED: "${name}"`,
      `!!! no Docker engine at ${where}`,
      '!!! start one with `bash .ci/run` (or set PACK_REQUIRE_ENGINE=1 to make this a failure) !!!',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
  describe.skip(`${name} [skipped: no engine at ${engineProbe.address}]`, fn);
}

/**
 * A fresh image repository name for one test: `pack-test-<prefix>-<10 hex>`, lowercase and limited
 * to characters Docker accepts in a path component (`[a-z0-9]+(?:[._-][a-z0-9]+)*`).
 */
export function uniqueName(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  const suffix = randomBytes(5).toString('hex');
  return cleaned === '' ? `pack-test-${suffix}` : `pack-test-${cleaned}-${suffix}`;
}

/** A unique `<name>:<tag>` (uniqueName), added to `images` so that the suite's afterAll removes it. */
export function trackedTag(images: string[], prefix: string, tag: string): string {
  const name = `${uniqueName(prefix)}:${tag}`;
  images.push(name);
  return name;
}

/**
 * Best-effort cleanup for `afterAll`/`finally`: removes each image reference (tag or ID), forced so
 * that stopped test containers do not pin it. A missing image (404) is fine; any other failure is
 * reported on stderr but never thrown, so cleanup cannot hide the test's own verdict.
 */
export async function removeImages(names: Iterable<string>, docker: Docker = createDocker()): Promise<void> {
  for (const name of new Set(names)) {
    try {
      await docker.getImage(name).remove({ force: true });
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 404) continue;
      console.warn(`removeImages: could not remove ${name}: ${describeError(error)}`);
    }
  }
}
