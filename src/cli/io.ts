import { homedir } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/**
 * Everything a command may take from the process, passed in so that commands stay testable and
 * the stages below them never read process state themselves.
 */
export interface CliIO {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Read only when a command asks for it (`--password-stdin`). */
  readonly stdin?: Readable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The user's home directory: $HOME, else the account's (as the docker CLI finds ~/.docker). */
  readonly homeDir: string;
  /** Aborted on SIGINT; every stream and engine call listens to it. */
  readonly signal: AbortSignal;
}

export function processIO(signal: AbortSignal): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: touching process.stdin opens it, which only --password-stdin should do.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    homeDir: process.env['HOME'] !== undefined && process.env['HOME'] !== '' ? process.env['HOME'] : homedir(),
    signal,
  };
}
