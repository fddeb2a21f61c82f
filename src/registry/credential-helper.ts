/**
 * The credential helper protocol (github.com/docker/docker-credential-helpers, client.Get), as
 * the docker CLI speaks it: run `docker-credential-<name> get` found on PATH, write the server
 * address (no newline) to its stdin, read `{"ServerURL","Username","Secret"}` from its stdout.
 *  - exit status ≠ 0 with stdout "credentials not found in native keychain" → no credentials (not an error);
 *  - Username "<token>" means Secret is an identity token, not a password (cli nativeStore).
 * The secret only ever lives in memory: it is not logged, not put in an error, not written.
 */
import { spawn } from 'node:child_process';
import { EnvironmentError, PackError, UsageError, errnoCode } from '../errors.js';

export interface HelperCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
}

/** Runs one helper; undefined when it has no credentials for the address. */
export type HelperRunner = (helper: string, serverAddress: string, signal?: AbortSignal) => Promise<HelperCredentials | undefined>;

const NOT_FOUND = 'credentials not found in native keychain';
const TOKEN_USERNAME = '<token>';

/** Where the helper's name came from, for messages: `credHelpers["ghcr.io"] in /home/me/.docker/config.json`. */
export function createHelperRunner(options: { env: Readonly<Record<string, string | undefined>>; describe?: (helper: string) => string }): HelperRunner {
  return (helper, serverAddress, signal) => runHelper(helper, serverAddress, options.env, options.describe?.(helper) ?? `credential helper ${helper}`, signal);
}

async function runHelper(
  helper: string,
  serverAddress: string,
  env: Readonly<Record<string, string | undefined>>,
  origin: string,
  signal?: AbortSignal,
): Promise<HelperCredentials | undefined> {
  // The name is a suffix, not a path: `docker-credential-../x` must not run some other program.
  if (helper === '' || /[/\\]/.test(helper)) {
    throw new UsageError('BAD_CREDENTIAL_HELPER', `${origin}: ${JSON.stringify(helper)} is not a credential helper name`, {
      hint: 'name the helper by its suffix, e.g. "pass" for docker-credential-pass',
    });
  }
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr, spawnError } = await new Promise<{ code: number | null; stdout: string; stderr: string; spawnError?: unknown }>((resolve) => {
    const child = spawn(program, ['get'], {
      // Node looks the program up on env.PATH when env is given.
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let failed: unknown;
    child.on('error', (error) => {
      failed = error;
    });
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit status says more.
    child.stdin.on('error', () => {});
    child.stdin.end(serverAddress);
    child.on('close', (status) => {
      resolve({
        code: status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(failed !== undefined ? { spawnError: failed } : {}),
      });
    });
  });
  if (signal?.aborted === true) {
    const reason: unknown = signal.reason;
    throw reason instanceof PackError ? reason : new PackError('INTERRUPTED', 'interrupted', { exitCode: 130 });
  }
  if (spawnError !== undefined) {
    const errno = errnoCode(spawnError);
    if (errno === 'ENOENT') {
      throw new EnvironmentError('CREDENTIAL_HELPER_MISSING', `${program} (${origin}) is not on PATH`, {
        hint: `install ${program}, or remove the entry from the config file to use the credentials stored there`,
      });
    }
    throw new EnvironmentError('CREDENTIAL_HELPER_FAILED', `${program} (${origin}) could not be run: ${errno ?? String(spawnError)}`);
  }
  if (code !== 0) {
    if (stdout.trim() === NOT_FOUND) return undefined;
    // The helper's own words (first line, shortened) — they describe its failure, they are not its secret.
    const said = firstLine(stdout) || firstLine(stderr);
    throw new PackError('CREDENTIAL_HELPER_FAILED', `${program} get (${origin}) failed for ${serverAddress} with exit status ${code ?? 'signal'}${said ? `: ${said}` : ''}`, {
      hint: `run \`echo ${serverAddress} | ${program} get\` to see what it says`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    // Never echo stdout here: it may hold the secret in a form we failed to parse.
    throw new PackError('CREDENTIAL_HELPER_FAILED', `${program} get (${origin}) answered with something that is not JSON`, {
      hint: 'a credential helper must print {"ServerURL":…,"Username":…,"Secret":…}',
    });
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const username = typeof (parsed as { Username?: unknown }).Username === 'string' ? (parsed as { Username: string }).Username : '';
  const secret = typeof (parsed as { Secret?: unknown }).Secret === 'string' ? (parsed as { Secret: string }).Secret : '';
  if (username === '' && secret === '') return undefined;
  if (username === TOKEN_USERNAME) return { identitytoken: secret };
  return { username, password: secret };
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
