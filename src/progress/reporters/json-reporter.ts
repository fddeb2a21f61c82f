/**
 * `--json`: every event as one JSON object per line on stdout (the final result object is written
 * by the command after the last event). Logs and errors stay on stderr.
 */
import type { Writable } from 'node:stream';
import type { PackEvent } from '../events.js';
import type { Reporter } from './reporter.js';

export function createJsonReporter(stdout: Writable): Reporter {
  return {
    emit: (event: PackEvent) => {
      stdout.write(`${JSON.stringify(event)}\n`);
    },
    close: () => {},
  };
}
