/**
 * The context walk on a worker thread, so that it runs on another core while the main thread
 * reads and encodes the files it has already listed. The walk is mostly system calls (readdir,
 * lstat) plus, on Node 20, building four Date objects per lstat: about 150 ms for 50k paths on
 * the reference machine, time the tar encoder would otherwise wait through.
 *
 * Same entries, same order, same warnings and errors as walkContext (it is walkContext, run in
 * the worker: walk-worker.ts). Entries arrive and are handed on in batches (arrays, in order):
 * an async iteration step per entry would cost the consumer more than the walk saves. At most
 * MAX_BATCHES_IN_FLIGHT batches wait unread, so memory stays bounded. Stopping early (an error
 * downstream, an abort) terminates the worker.
 *
 * The worker runs compiled JavaScript. Where this module itself runs from TypeScript source (the
 * unit tests), there is no JavaScript to start, and the walk runs in this thread instead; the
 * worker path is tested through the built CLI (test/cli).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ContextEntry } from './entry.js';
import type { PatternLine } from './dockerignore/matcher.js';
import { ContextReadError, walkContext, type WalkOptions } from './walk.js';
import { unpackBatch } from './walk-batch.js';
import type { SerializedWalkError, WalkWorkerData, WalkWorkerMessage } from './walk-worker.js';

const BATCH_SIZE = 256;
const MAX_BATCHES_IN_FLIGHT = 16;

const WORKER_URL = new URL('./walk-worker.js', import.meta.url);
/** Only when this module is compiled JavaScript with its worker beside it (not under vitest). */
const WORKER_AVAILABLE = import.meta.url.endsWith('.js') && existsSync(fileURLToPath(WORKER_URL));

export interface WalkInWorkerOptions extends WalkOptions {
  /** The pattern lines the matcher was compiled from (the worker compiles its own copy). */
  readonly lines: readonly PatternLine[];
  /** Walk in this thread even where the worker is available (for comparisons). */
  readonly inThread?: boolean;
}

/**
 * walkContext, on a worker thread where possible: the same entries in the same order, in
 * batches, asynchronously.
 */
export async function* walkBatchesInWorker(options: WalkInWorkerOptions): AsyncGenerator<ContextEntry[], void, undefined> {
  if (!WORKER_AVAILABLE || options.inThread === true) {
    let batch: ContextEntry[] = [];
    for (const entry of walkContext(options)) {
      batch.push(entry);
      if (batch.length >= BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    return;
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const control = new SharedArrayBuffer(4);
  const inFlight = new Int32Array(control);
  const data: WalkWorkerData = {
    root: options.root,
    lines: options.lines,
    mode: options.mode,
    forceInclude: [...(options.forceInclude ?? [])],
    control,
    batchSize: BATCH_SIZE,
    maxBatchesInFlight: MAX_BATCHES_IN_FLIGHT,
  };
  const worker = new Worker(WORKER_URL, { workerData: data });
  worker.unref();
  const queue: WalkWorkerMessage[] = [];
  let failure: unknown;
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (message: WalkWorkerMessage) => {
    queue.push(message);
    wakeUp();
  });
  worker.on('error', (error) => {
    failure ??= error;
    wakeUp();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`walk worker exited with code ${code}`);
    wakeUp();
  });
  const onAbort = (): void => {
    failure ??= signal?.reason;
    wakeUp();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const message = queue.shift();
      if (message === undefined) {
        if (failure !== undefined) throw failure;
        // Referenced only while waited on: a walk nobody waits for never keeps the process alive.
        worker.ref();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        worker.unref();
        continue;
      }
      // An abort wins over entries already queued, as in the in-thread walk.
      if (signal?.aborted) throw signal.reason;
      switch (message.kind) {
        case 'entries':
          Atomics.sub(inFlight, 0, 1);
          Atomics.notify(inFlight, 0);
          yield unpackBatch(message.batch);
          break;
        case 'event':
          options.emit?.(message.event);
          break;
        case 'error':
          throw deserialize(message.error);
        case 'done':
          return;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  }
}

function deserialize(error: SerializedWalkError): Error {
  if (error.type === 'context-read') {
    return new ContextReadError(error.path, Object.assign(new Error(error.message), { code: error.code }));
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
