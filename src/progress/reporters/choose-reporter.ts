/** `--json` → NDJSON on stdout; a TTY on stderr → bars; otherwise plain lines. `--quiet` → nothing. */
import type { Writable } from 'node:stream';
import { silent } from '../events.js';
import { createJsonReporter } from './json-reporter.js';
import { createPlainReporter } from './plain-reporter.js';
import type { Reporter } from './reporter.js';
import { createTtyReporter } from './tty-reporter.js';

export interface ReporterChoice {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** The CLI passes whether the terminal can redraw (a TTY, and TERM is not `dumb`). */
  readonly interactive: boolean;
}

export function chooseReporter(choice: ReporterChoice): Reporter {
  if (choice.json) return createJsonReporter(choice.stdout);
  if (choice.quiet) return { emit: silent, close: () => {} };
  if (choice.interactive) return createTtyReporter(choice.stderr);
  return createPlainReporter(choice.stderr);
}
