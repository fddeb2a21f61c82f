/**
 * Every failure pack reports is a PackError: a stable code, a one-line message that names the
 * file, line or flag at fault, an optional hint saying how to fix it, and the exit code the CLI
 * ends with. Only src/cli/main.ts turns these into output and an exit status.
 */

/** Exit codes, documented in `pack --help`. */
export const ExitCode = {
  ok: 0,
  /** The operation ran and failed (a build step, a push, a verification). */
  failed: 1,
  /** Bad usage or configuration: a flag, a path, a pattern, a Dockerfile. */
  usage: 2,
  /** The environment is not usable: no engine, no permission on its socket. */
  environment: 3,
  /** Interrupted by the user (Ctrl-C). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface PackErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCode;
}

export class PackError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: PackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failed;
  }
}

/** The user asked for something invalid: exit 2. */
export class UsageError extends PackError {
  constructor(code: string, message: string, options: Omit<PackErrorOptions, 'exitCode'> = {}) {
    super(code, message, { ...options, exitCode: ExitCode.usage });
  }
}

/** The machine is not in a state pack can work in (engine unreachable, no permission): exit 3. */
export class EnvironmentError extends PackError {
  constructor(code: string, message: string, options: Omit<PackErrorOptions, 'exitCode'> = {}) {
    super(code, message, { ...options, exitCode: ExitCode.environment });
  }
}

/** The user interrupted the operation: exit 130. */
export class InterruptedError extends PackError {
  constructor(message = 'interrupted') {
    super('INTERRUPTED', message, { exitCode: ExitCode.interrupted });
  }
}

/** Node's errno-style errors carry a `code` such as ENOENT or EACCES. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
