/**
 * The reporter a command draws its progress with: --json → NDJSON on stdout, --quiet → nothing,
 * a terminal that can redraw → bars on stderr, otherwise plain lines on stderr (CI logs).
 */
import { PackError } from '../errors.js';
import type { Reporter } from '../progress/reporters/reporter.js';
import { chooseReporter } from '../progress/reporters/choose-reporter.js';
import type { CliIO } from './io.js';

export function commandReporter(io: CliIO, flags: { readonly json?: boolean | undefined; readonly quiet?: boolean | undefined }): Reporter {
  return chooseReporter({
    json: flags.json === true,
    quiet: flags.quiet === true,
    stdout: io.stdout,
    stderr: io.stderr,
    interactive: io.stderr.isTTY === true && io.env['TERM'] !== 'dumb',
  });
}

/** With --json the event stream ends with a failure object before main.ts prints the error line. */
export function emitFailure(reporter: Reporter, json: boolean, error: unknown): void {
  if (!json) return;
  const code = error instanceof PackError ? error.code : 'INTERNAL';
  reporter.emit({ type: 'build.failed', code, message: error instanceof Error ? error.message : String(error) });
}
