/**
 * Worker-thread entry for walk-in-worker.ts: runs the ordinary walker (walk.ts) and posts its
 * entries to the main thread in batches, in order. Not imported by anything: loaded with
 * `new Worker(new URL('./walk-worker.js', import.meta.url))`.
 *
 * Entries travel in columns (walk-batch.ts) rather than as objects: structured-cloning tens of
 * thousands of small objects cost the two threads more than the walk itself.
 *
 * Backpressure: the main thread gives credit back through a shared counter of batches in
 * flight; the walker blocks in Atomics.wait (a worker may block) while MAX_BATCHES_IN_FLIGHT
 * are unread, so memory stays bounded however large the tree is.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ContextEntry } from './entry.js';
import { packBatch, type PackedBatch } from './walk-batch.js';
import { PatternMatcher, type PatternLine } from './dockerignore/matcher.js';
import { ContextReadError, walkContext, type WalkMode } from './walk.js';
import type { PackEvent } from '../progress/events.js';

/** What the main thread sends along (workerData). */
export interface WalkWorkerData {
  readonly root: string;
  /** The patterns in force, already validated by the main thread (compileMatcher). */
  readonly lines: readonly PatternLine[];
  readonly mode: WalkMode;
  readonly forceInclude: readonly string[];
  /** Int32Array over this: [batches in flight]. */
  readonly control: SharedArrayBuffer;
  readonly batchSize: number;
  readonly maxBatchesInFlight: number;
}

/** Messages to the main thread, in walk order. */
export type WalkWorkerMessage =
  | { readonly kind: 'entries'; readonly batch: PackedBatch }
  | { readonly kind: 'event'; readonly event: PackEvent }
  | { readonly kind: 'error'; readonly error: SerializedWalkError }
  | { readonly kind: 'done' };

/** Errors cross the thread boundary as data; the main thread rebuilds them. */
export type SerializedWalkError =
  | { readonly type: 'context-read'; readonly path: string; readonly code: string | undefined; readonly message: string }
  | { readonly type: 'other'; readonly name: string; readonly message: string; readonly stack: string | undefined };

function serialize(error: unknown): SerializedWalkError {
  if (error instanceof ContextReadError) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    return {
      type: 'context-read',
      path: error.path,
      code: typeof cause?.code === 'string' ? cause.code : undefined,
      message: typeof cause?.message === 'string' ? cause.message : error.message,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: 'other', name: e.name, message: e.message, stack: e.stack };
}

function run(port: NonNullable<typeof parentPort>, data: WalkWorkerData): void {
  const inFlight = new Int32Array(data.control);
  let batch: ContextEntry[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    const packed = packBatch(batch);
    batch = [];
    Atomics.add(inFlight, 0, 1);
    port.postMessage({ kind: 'entries', batch: packed } satisfies WalkWorkerMessage, [packed.numbers.buffer]);
    for (;;) {
      const n = Atomics.load(inFlight, 0);
      if (n < data.maxBatchesInFlight) break;
      Atomics.wait(inFlight, 0, n);
    }
  };
  try {
    const matcher = new PatternMatcher(data.lines);
    const emit = (event: PackEvent): void => {
      // Keep the order the in-thread walk has: the entries before the event first.
      flush();
      port.postMessage({ kind: 'event', event } satisfies WalkWorkerMessage);
    };
    const walk = walkContext({ root: data.root, matcher, mode: data.mode, forceInclude: new Set(data.forceInclude), emit });
    for (const entry of walk) {
      batch.push(entry);
      if (batch.length >= data.batchSize) flush();
    }
    flush();
    port.postMessage({ kind: 'done' } satisfies WalkWorkerMessage);
  } catch (error) {
    flush();
    port.postMessage({ kind: 'error', error: serialize(error) } satisfies WalkWorkerMessage);
  }
}

if (parentPort !== null) run(parentPort, workerData as WalkWorkerData);
