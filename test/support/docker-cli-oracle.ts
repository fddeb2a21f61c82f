/**
 * Differential oracle for pack's build-context engine: runs the real docker CLI (legacy builder)
 * against a stand-in daemon and returns exactly what the CLI sent — the context tar, the /build
 * query string and headers — so tests can compare pack's context with Docker's own.
 *
 * The stand-in is an http.Server on a unix socket in a private temp dir. It answers what the CLI
 * needs for `DOCKER_BUILDKIT=0 docker build` (found by trying, docker CLI 28.2.2):
 *   HEAD /_ping                → API version negotiation (headers API-Version, OSType);
 *   POST /v1.41/build?...      → chunked application/x-tar body (gzip only with --compress),
 *                                header X-Registry-Config (base64 JSON of auth configs);
 * and answers GET /_ping and GET /v1.x/version sensibly for completeness. Anything else gets the
 * daemon's 404 shape and is listed in `unknownRequests`, so an oracle failure is diagnosable.
 * The build answer is the legacy builder's NDJSON: a step line, an `aux` ID, "Successfully built".
 *
 * No engine is needed; only the docker CLI binary (PACK_DOCKER_CLI or `docker` on PATH).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The API version the stand-in claims; the CLI then prefixes every path with /v1.41. */
export const ORACLE_API_VERSION = '1.41';

export interface OracleRequest {
  method: string;
  /** Path and query as received, e.g. `/v1.41/build?dockerfile=Dockerfile&version=1`. */
  url: string;
  headers: Record<string, string>;
  bodyBytes: number;
  /** Status the stand-in answered with (0 when the client went away before an answer). */
  status: number;
}

export interface DockerCliCapture {
  /** The /build request body exactly as sent (a gzip stream if `--compress`); undefined when the CLI sent no build. */
  tarPath: string | undefined;
  /** False when the CLI hung up before finishing the body. */
  bodyComplete: boolean;
  /** Query string of the /build request (empty when there was none); `dockerfile=` names the Dockerfile in the tar. */
  query: URLSearchParams;
  /** Headers of the /build request (lower-case names). */
  buildHeaders: Record<string, string>;
  /** From the User-Agent, e.g. `28.2.2`. */
  clientVersion: string | undefined;
  /** Every request in arrival order. */
  requests: OracleRequest[];
  /** `METHOD URL` of requests the stand-in does not know (answered 404). */
  unknownRequests: string[];
  stdout: string;
  stderr: string;
  /** The CLI's exit code (a signal death is reported as 128 + signal number). */
  exitCode: number;
  /** Directory holding `tarPath`: the caller's `outDir`, or a temp dir that `cleanup()` removes. */
  outDir: string;
  /** Removes the temp output dir (a no-op when the caller gave `outDir`). */
  cleanup(): Promise<void>;
}

export interface CaptureOptions {
  /** Passed as `-f`; resolved by the CLI relative to `cwd`, not to the context. */
  dockerfile?: string;
  /** Extra `docker build` arguments, placed before the context path (e.g. `['--compress']`). */
  extraArgs?: string[];
  /** Working directory of the CLI (default: process.cwd()). */
  cwd?: string;
  /** Bytes on the CLI's stdin (for `-f -` or a `-` context); default: no stdin (/dev/null). */
  stdin?: string | Buffer;
  /** Where to write the captured tar; default a fresh temp dir removed by `cleanup()`. */
  outDir?: string;
  /** Run the CLI as another user (e.g. to see how it reports unreadable files when tests run as root). */
  runAs?: { uid: number; gid: number };
  /** docker CLI binary (default: $PACK_DOCKER_CLI or `docker`). */
  dockerBin?: string;
  /** Kill the CLI and throw after this long (default 60 s). */
  timeoutMs?: number;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13, SIGABRT: 6 };

function dockerBinary(options: { dockerBin?: string }): string {
  return options.dockerBin ?? process.env.PACK_DOCKER_CLI ?? 'docker';
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') flat[name] = value;
    else if (Array.isArray(value)) flat[name] = value.join(', ');
  }
  return flat;
}

/** Environment for the CLI: ours minus anything that would point it elsewhere or change the builder. */
function cliEnvironment(socketPath: string, configDir: string, runAs: CaptureOptions['runAs']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('DOCKER_') || name.startsWith('BUILDKIT_') || name.startsWith('BUILDX_')) continue;
    env[name] = value;
  }
  env.DOCKER_BUILDKIT = '0';
  env.DOCKER_HOST = `unix://${socketPath}`;
  // A private, empty config dir: the user's config.json (auths, proxies, current context) is not read.
  env.DOCKER_CONFIG = configDir;
  env.DOCKER_CLI_HINTS = 'false';
  if (runAs !== undefined) env.HOME = configDir;
  return env;
}

interface StandIn {
  server: http.Server;
  requests: OracleRequest[];
  unknownRequests: string[];
  build: { tarPath: string; complete: boolean; query: URLSearchParams; headers: Record<string, string> } | undefined;
}

function startStandIn(socketPath: string, outDir: string): Promise<StandIn> {
  const state: StandIn = { server: http.createServer(), requests: [], unknownRequests: [], build: undefined };
  let builds = 0;

  state.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const record: OracleRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: flatHeaders(req.headers),
      bodyBytes: 0,
      status: 0,
    };
    state.requests.push(record);
    const url = new URL(record.url, 'http://stand-in');
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const answer = (status: number, headers: Record<string, string>, body?: string): void => {
      record.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };

    if (path === '/build' && record.method === 'POST') {
      builds++;
      const tarPath = join(outDir, builds === 1 ? 'context.tar' : `context-${builds}.tar`);
      const build = { tarPath, complete: false, query: url.searchParams, headers: record.headers };
      if (builds === 1) state.build = build;
      const hash = createHash('sha256');
      const file = createWriteStream(tarPath);
      req.on('data', (chunk: Buffer) => {
        record.bodyBytes += chunk.length;
        hash.update(chunk);
      });
      req.pipe(file);
      // A CLI that gives up mid-body (e.g. a file it cannot read) leaves the pipe unended.
      req.on('close', () => {
        if (!req.complete) file.end();
      });
      // The real daemon reads the whole context before the first step; so does the stand-in.
      file.on('finish', () => {
        if (!req.complete) return;
        build.complete = true;
        const id = hash.digest('hex');
        const lines = [
          { stream: 'Step 1/1 : FROM scratch\n' },
          { aux: { ID: `sha256:${id}` } },
          { stream: `Successfully built ${id.slice(0, 12)}\n` },
        ];
        answer(200, { 'Content-Type': 'application/json' }, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      });
      return;
    }

    // Drain any other body so the connection stays usable.
    req.on('data', (chunk: Buffer) => {
      record.bodyBytes += chunk.length;
    });
    req.on('end', () => {
      if (path === '/_ping' && (record.method === 'GET' || record.method === 'HEAD')) {
        answer(
          200,
          {
            'API-Version': ORACLE_API_VERSION,
            OSType: 'linux',
            'Docker-Experimental': 'false',
            'Cache-Control': 'no-cache, no-store, must-revalidate',
            Pragma: 'no-cache',
            'Content-Type': 'text/plain; charset=utf-8',
          },
          record.method === 'HEAD' ? undefined : 'OK',
        );
        return;
      }
      if (path === '/version' && record.method === 'GET') {
        const version = {
          Platform: { Name: 'pack docker-cli oracle (stand-in daemon)' },
          Version: '20.10.24-oracle',
          ApiVersion: ORACLE_API_VERSION,
          MinAPIVersion: '1.12',
          GitCommit: 'oracle',
          GoVersion: 'n/a',
          Os: 'linux',
          Arch: 'amd64',
          KernelVersion: 'n/a',
          Experimental: false,
          BuildTime: '1970-01-01T00:00:00.000000000+00:00',
          Components: [],
        };
        answer(200, { 'Content-Type': 'application/json', 'API-Version': ORACLE_API_VERSION }, `${JSON.stringify(version)}\n`);
        return;
      }
      state.unknownRequests.push(`${record.method} ${record.url}`);
      answer(404, { 'Content-Type': 'application/json' }, `${JSON.stringify({ message: 'page not found' })}\n`);
    });
  });

  return new Promise((resolve, reject) => {
    state.server.once('error', reject);
    state.server.listen(socketPath, () => {
      state.server.off('error', reject);
      resolve(state);
    });
  });
}

async function stopStandIn(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

interface CliRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function runCli(bin: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; stdin?: string | Buffer; runAs?: CaptureOptions['runAs']; timeoutMs: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env: options.env,
      // Pipes, not a TTY: the CLI prints plain progress and never asks questions.
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.runAs === undefined ? {} : { uid: options.runAs.uid, gid: options.runAs.gid }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${bin} ${args.join(' ')}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        exitCode: code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0)),
      };
      if (timedOut) {
        reject(new Error(`${bin} ${args.join(' ')} did not finish within ${options.timeoutMs} ms; stderr so far:\n${result.stderr}`));
        return;
      }
      resolve(result);
    });
  });
}

/**
 * Runs `docker build [-f DOCKERFILE] [...extraArgs] CONTEXTDIR` with the legacy builder against a
 * fresh stand-in daemon and returns what the CLI sent. A failing CLI (bad -f, unreadable file) is
 * a result, not an exception: see `exitCode` and `stderr`. Throws only when the CLI cannot be
 * started or does not finish in time.
 */
export async function captureDockerCliContext(contextDir: string, options: CaptureOptions = {}): Promise<DockerCliCapture> {
  const privateDir = await mkdtemp(join(tmpdir(), 'pack-oracle-'));
  const ownsOutDir = options.outDir === undefined;
  const outDir = options.outDir ?? (await mkdtemp(join(tmpdir(), 'pack-oracle-out-')));
  const cleanup = async (): Promise<void> => {
    if (ownsOutDir) await rm(outDir, { recursive: true, force: true });
  };
  try {
    const socketPath = join(privateDir, 'docker.sock');
    const configDir = join(privateDir, 'config');
    await mkdir(configDir);
    const standIn = await startStandIn(socketPath, outDir);
    try {
      if (options.runAs !== undefined) {
        // Another user must reach the socket (connect needs write permission) and read the config dir.
        await chmod(privateDir, 0o755);
        await chmod(configDir, 0o777);
        await chmod(socketPath, 0o666);
      }
      const args = ['build', ...(options.dockerfile === undefined ? [] : ['-f', options.dockerfile]), ...(options.extraArgs ?? []), contextDir];
      const run = await runCli(dockerBinary(options), args, {
        env: cliEnvironment(socketPath, configDir, options.runAs),
        cwd: options.cwd ?? process.cwd(),
        timeoutMs: options.timeoutMs ?? 60_000,
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(options.runAs === undefined ? {} : { runAs: options.runAs }),
      });
      const userAgent = standIn.requests.find((request) => request.headers['user-agent'] !== undefined)?.headers['user-agent'];
      return {
        tarPath: standIn.build?.tarPath,
        bodyComplete: standIn.build?.complete ?? false,
        query: standIn.build?.query ?? new URLSearchParams(),
        buildHeaders: standIn.build?.headers ?? {},
        clientVersion: /Docker-Client\/(\S+)/.exec(userAgent ?? '')?.[1],
        requests: standIn.requests,
        unknownRequests: standIn.unknownRequests,
        ...run,
        outDir,
        cleanup,
      };
    } finally {
      await stopStandIn(standIn.server);
    }
  } catch (error) {
    await cleanup();
    throw error;
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/** The docker CLI's client version (`docker --version` needs no daemon), or undefined when it cannot run. */
export async function dockerCliVersion(dockerBin?: string): Promise<string | undefined> {
  try {
    const run = await runCli(dockerBinary({ ...(dockerBin === undefined ? {} : { dockerBin }) }), ['--version'], {
      env: { ...process.env, DOCKER_CONFIG: tmpdir() },
      cwd: process.cwd(),
      timeoutMs: 15_000,
    });
    return run.exitCode === 0 ? /Docker version ([^\s,]+)/.exec(run.stdout)?.[1] : undefined;
  } catch {
    return undefined;
  }
}
