/**
 * Progress is a stream of typed events. Stages emit them; reporters (tty, plain, json) draw them.
 * Stages never write to the terminal themselves.
 */

export interface WarningEvent {
  readonly type: 'warning';
  /** Stable identifier, e.g. `context.socket-skipped`. */
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

export interface ContextProgressEvent {
  readonly type: 'context.progress';
  readonly files: number;
  readonly bytes: number;
  /** Total bytes to send when already known (after the walk), else undefined. */
  readonly totalBytes?: number;
}

export interface ContextDoneEvent {
  readonly type: 'context.done';
  readonly files: number;
  readonly bytes: number;
  readonly sha256?: string;
}

export type PackEvent = WarningEvent | ContextProgressEvent | ContextDoneEvent;

export type Emit = (event: PackEvent) => void;

/** An emitter that drops everything, for callers that do not report progress. */
export const silent: Emit = () => {};
