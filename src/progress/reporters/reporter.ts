/**
 * A reporter draws progress events somewhere (a terminal, CI log lines, NDJSON). Stages never
 * know which one is listening; commands pick one with chooseReporter().
 */
import type { Emit } from '../events.js';

export interface Reporter {
  readonly emit: Emit;
  /** Stops redrawing and leaves the terminal clean; called once, on success and on failure. */
  close(): void;
}
