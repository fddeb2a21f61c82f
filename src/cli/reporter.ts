/**
 * The reporter a command draws its progress with: --json → NDJSON on stdout, --quiet → nothing,
 * a terminal that can redraw → bars on stderr, otherwise plain lines on stderr (CI logs).
 */
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
