/**
 * Runs the built CLI (dist/cli/main.js) as a child process, the way users run it: a clean
 * environment (PATH, HOME and what the test passes), no TTY, output captured.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PACK_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface PackRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for commands that write binary output (a tar on `-o -`). */
  stdoutBytes: Buffer;
  /** Whether the runner sent SIGINT. */
  interrupted: boolean;
}

export interface RunPackOptions {
  cwd: string;
  /** Added to the base environment (PATH, HOME, and DOCKER_HOST when the test process has one). */
  env?: Record<string, string>;
  /** HOME for the child (default: cwd). */
  home?: string;
  /** Run as another user (tests run as root, where file permissions do not bind). */
  runAs?: { uid: number; gid: number };
  /** Send SIGINT this many milliseconds after the start. */
  interruptAfterMs?: number;
  /** Send SIGINT as soon as the output so far matches. */
  interruptWhen?: { stdout?: RegExp; stderr?: RegExp };
  input?: string | Buffer;
}

/**
 * Options that make file permissions bind: tests run as root, for whom they do not, so as root the
 * child runs as nobody (65534), from `/` with HOME `/`; as anyone else, as themselves.
 */
export function unprivileged(): Pick<RunPackOptions, 'cwd' | 'home' | 'runAs'> {
  return { cwd: '/', home: '/', ...(process.getuid?.() === 0 ? { runAs: { uid: 65534, gid: 65534 } } : {}) };
}

export function assertBuilt(): void {
  if (!existsSync(PACK_MAIN)) throw new Error(`${PACK_MAIN} is missing: run \`npm run build\` first`);
}

export function runPack(args: readonly string[], options: RunPackOptions): Promise<PackRun> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PACK_MAIN, ...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: options.home ?? options.cwd,
        ...(process.env['DOCKER_HOST'] ? { DOCKER_HOST: process.env['DOCKER_HOST'] } : {}),
        ...options.env,
      },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    const out: Buffer[] = [];
    let stderr = '';
    const result = { interrupted: false };
    const interrupt = (): void => {
      if (result.interrupted) return;
      result.interrupted = true;
      child.kill('SIGINT');
    };
    const timer = options.interruptAfterMs === undefined ? undefined : setTimeout(interrupt, options.interruptAfterMs);
    let stdoutText = '';
    const stdoutPattern = options.interruptWhen?.stdout;
    const stderrPattern = options.interruptWhen?.stderr;
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (stdoutPattern) {
        stdoutText += chunk.toString('utf8');
        if (stdoutPattern.test(stdoutText)) interrupt();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderrPattern?.test(stderr)) interrupt();
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes, interrupted: result.interrupted });
    });
  });
}
