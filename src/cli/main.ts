#!/usr/bin/env node
/**
 * The only place that prints errors and sets the exit status. Commands throw PackError; this file
 * turns them into one line on stderr (plus a hint) and the documented exit code.
 */
import { CommanderError } from 'commander';
import { ExitCode, PackError } from '../errors.js';
import { processIO } from './io.js';
import { buildProgram } from './program.js';

async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    // A second Ctrl-C means "now": do not wait for cleanup.
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    controller.abort(new PackError('INTERRUPTED', 'interrupted', { exitCode: ExitCode.interrupted }));
  };
  process.on('SIGINT', onSigint);
  // `pack … | head`: the reader has gone; stop quietly, as command-line tools do on SIGPIPE.
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    controller.abort();
    process.exit(ExitCode.ok);
  };
  process.stdout.on('error', onOutputError);
  const io = processIO(controller.signal);
  const debug = argv.includes('--debug');
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'node' });
    return ExitCode.ok;
  } catch (error) {
    return report(error, debug, io.stderr);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function report(error: unknown, debug: boolean, stderr: NodeJS.WritableStream): number {
  if (error instanceof CommanderError) {
    // Commander has already printed help, the version, or its one-line usage error.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof PackError) {
    stderr.write(`pack: ${error.message}\n`);
    if (error.hint) stderr.write(`hint: ${error.hint}\n`);
    if (debug) stderr.write(`${error.stack ?? ''}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'AbortError') {
    stderr.write('pack: interrupted\n');
    return ExitCode.interrupted;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`pack: internal error: ${message}\n`);
  stderr.write(
    debug && error instanceof Error
      ? `${error.stack ?? ''}\n`
      : 'hint: run again with --debug for the stack trace, and please report it\n',
  );
  return ExitCode.failed;
}

// exitCode instead of exit(): pending writes to stdout and stderr drain first.
process.exitCode = await main(process.argv);
