/**
 * SHA-256 of byte streams on a second thread: the members of an archive one after the other
 * (`pack archive`, `pack verify`), or the one tar a build context is (`pack context`). Hashing runs
 * at about 1.3 GB/s per core, as slow as the I/O around it; on the main thread it would add a
 * third or more to those commands, on a worker it overlaps with the I/O.
 *
 * Bytes are copied into one fixed ring of shared memory. The two threads coordinate through
 * shared counters only (Atomics), with no message per chunk: a profile showed postMessage costing
 * the main thread more than the hashing it saved. The main thread publishes how many bytes it has
 * written and where each member ends; the worker hashes up to the next member end, publishes how
 * many bytes it has hashed (which frees ring space), and posts one message per member with its
 * digest. Memory stays bounded by the ring: when it is full, `update` waits for the worker.
 * (Sharing the chunks' own memory would avoid the copy, but every chunk would then stay alive until
 * the worker's isolate happened to collect garbage: 1 GB of chunks stayed resident in a test.)
 *
 * A thread takes 20–40 ms to start. With `startAt`, it is started only once that many bytes have
 * been written (or the ring is full); members closed before then are hashed in place from the
 * ring, so a short stream never starts one.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Slots of the shared control array (BigInt64). */
const WRITTEN = 0;
const HASHED = 1;
/** Members closed by the main thread so far; their end offsets are in the boundary ring. */
const CLOSED = 2;
const STOP = 3;
/** Bumped by the main thread on every change, so the worker can sleep on one word. */
const SEQUENCE = 4;
/** Set by the worker while it sleeps: the main thread only pays for a notify then. */
const SLEEPING = 5;
const CONTROL_SLOTS = 6;
const BOUNDARIES = 4096;
/** The worker publishes progress (frees ring space) at least this often. */
const STEP_BYTES = 1024 * 1024;

/** CommonJS, evaluated in the worker. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData.ring);
const size = ring.length;
const control = new BigInt64Array(workerData.control);
const boundaries = new BigInt64Array(workerData.boundaries);
let hash = createHash('sha256');
// Members closed before the thread started were hashed by the main thread.
let hashed = workerData.hashed;
let member = workerData.member;
for (;;) {
  const sequence = Atomics.load(control, ${SEQUENCE});
  const written = Atomics.load(control, ${WRITTEN});
  const closed = Atomics.load(control, ${CLOSED});
  const boundary = member < closed ? boundaries[Number(member % ${BigInt(BOUNDARIES)}n)] : -1n;
  let limit = boundary >= 0n && boundary < written ? boundary : written;
  if (hashed < limit) {
    if (limit - hashed > ${STEP_BYTES}n) limit = hashed + ${BigInt(STEP_BYTES)}n;
    let at = Number(hashed % BigInt(size));
    let left = Number(limit - hashed);
    while (left > 0) {
      const n = Math.min(left, size - at);
      hash.update(ring.subarray(at, at + n));
      at = (at + n) % size;
      left -= n;
    }
    hashed = limit;
    Atomics.store(control, ${HASHED}, hashed);
    Atomics.notify(control, ${HASHED});
    continue;
  }
  if (boundary >= 0n && hashed === boundary) {
    parentPort.postMessage({ member: Number(member), digest: hash.digest('hex') });
    hash = createHash('sha256');
    member += 1n;
    continue;
  }
  if (Atomics.load(control, ${STOP}) === 1n) break;
  // Sleeping is announced before the wait; a change made in between makes the wait return at once.
  Atomics.store(control, ${SLEEPING}, 1n);
  Atomics.wait(control, ${SEQUENCE}, sequence);
  Atomics.store(control, ${SLEEPING}, 0n);
}
`;

/** Atomics.waitAsync (V8, Node ≥ 16; in TypeScript's lib from ES2024 on). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: BigInt64Array, index: number, value: bigint): { async: boolean; value: Promise<string> | string };
}).waitAsync;

export interface HashWorkerOptions {
  /** Size of the shared ring (default 16 MiB). */
  readonly ringSize?: number;
  /** Bytes written before the thread starts (default 0: at once); capped at a quarter of the ring. */
  readonly startAt?: number;
}

export class HashWorker {
  private readonly ringSize: number;
  private readonly startAt: number;
  private readonly ring: Buffer;
  private readonly control = new BigInt64Array(new SharedArrayBuffer(CONTROL_SLOTS * 8));
  private readonly boundaries = new BigInt64Array(new SharedArrayBuffer(BOUNDARIES * 8));
  private worker: Worker | undefined;
  private written = 0;
  private closed = 0;
  /** Where the current member starts, while members are hashed in place (no thread yet). */
  private memberStart = 0;
  private stopped = false;
  /** True while `update` waits for ring space. */
  private waitingForSpace = false;
  /** Ends that wait early when the thread fails. */
  private wakeOnFailure: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly digests = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();

  constructor(options: HashWorkerOptions = {}) {
    this.ringSize = options.ringSize ?? 16 * 1024 * 1024;
    this.startAt = Math.min(options.startAt ?? 0, this.ringSize / 4);
    this.ring = Buffer.from(new SharedArrayBuffer(this.ringSize));
    if (this.startAt === 0) this.start();
  }

  /** Adds a chunk to the current member. Returns a promise only when the ring is full. */
  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.free() >= chunk.byteLength) {
      this.copy(chunk, 0, chunk.byteLength);
      if (this.worker === undefined && this.written >= this.startAt) this.start();
      this.signal();
      return undefined;
    }
    return this.updateSlowly(chunk);
  }

  /** Closes the current member; resolves with `sha256:<hex>` of its bytes. */
  digest(): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.worker === undefined) return Promise.resolve(this.digestInPlace());
    const member = this.closed;
    if (member - this.finishedBefore() >= BOUNDARIES) return Promise.reject(new Error('too many members waiting for their digest'));
    const promise = new Promise<string>((resolve, reject) => this.digests.set(member, { resolve, reject }));
    this.keepAlive();
    this.boundaries[member % BOUNDARIES] = BigInt(this.written);
    this.closed += 1;
    Atomics.store(this.control, CLOSED, BigInt(this.closed));
    this.signal();
    return promise;
  }

  /** Stops the thread, if one started; owners call it in `finally` (a live worker keeps the process running). */
  async close(): Promise<void> {
    this.stopped = true;
    Atomics.store(this.control, STOP, 1n);
    Atomics.add(this.control, SEQUENCE, 1n);
    Atomics.notify(this.control, SEQUENCE);
    await this.worker?.terminate();
  }

  private start(): void {
    if (this.stopped) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ring: this.ring.buffer,
        control: this.control.buffer,
        boundaries: this.boundaries.buffer,
        hashed: BigInt(this.memberStart),
        member: BigInt(this.closed),
      },
    });
    worker.unref();
    worker.on('message', (message: { member: number; digest: string }) => {
      const waiting = this.digests.get(message.member);
      this.digests.delete(message.member);
      this.keepAlive();
      waiting?.resolve(`sha256:${message.digest}`);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (!this.stopped) this.fail(new Error(`the hashing thread exited with code ${code}`));
    });
    this.worker = worker;
  }

  /**
   * The thread keeps the process alive only while something waits for it (a digest, ring space):
   * a stream abandoned without close() must not keep pack running. A pending Atomics.waitAsync
   * does not keep the event loop alive by itself.
   */
  private keepAlive(): void {
    if (this.digests.size > 0 || this.waitingForSpace) this.worker?.ref();
    else this.worker?.unref();
  }

  /** The current member's digest, hashed from the ring on this thread (no worker started yet). */
  private digestInPlace(): string {
    const hash = createHash('sha256');
    let at = this.memberStart % this.ringSize;
    let left = this.written - this.memberStart;
    while (left > 0) {
      const n = Math.min(left, this.ringSize - at);
      hash.update(this.ring.subarray(at, at + n));
      at = (at + n) % this.ringSize;
      left -= n;
    }
    this.memberStart = this.written;
    this.closed += 1;
    Atomics.store(this.control, HASHED, BigInt(this.written));
    Atomics.store(this.control, CLOSED, BigInt(this.closed));
    return `sha256:${hash.digest('hex')}`;
  }

  private free(): number {
    return this.ringSize - (this.written - Number(Atomics.load(this.control, HASHED)));
  }

  /** Members whose digest has come back (the lowest still waiting, or all closed). */
  private finishedBefore(): number {
    let lowest = this.closed;
    for (const member of this.digests.keys()) lowest = Math.min(lowest, member);
    return lowest;
  }

  private async updateSlowly(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.failure !== undefined) throw this.failure;
      // Closed: nobody will ask for a digest any more.
      if (this.stopped) return;
      const free = this.free();
      if (free === 0) {
        // A full ring needs the thread, whatever startAt said.
        if (this.worker === undefined) this.start();
        await this.space();
        continue;
      }
      const n = Math.min(free, chunk.byteLength - offset);
      this.copy(chunk, offset, n);
      offset += n;
      this.signal();
    }
  }

  /** Sleeps, without blocking the event loop, until the thread publishes progress or fails. */
  private async space(): Promise<void> {
    const seen = Atomics.load(this.control, HASHED);
    if (this.ringSize - (this.written - Number(seen)) !== 0) return;
    const waiting = waitAsync(this.control, HASHED, seen);
    if (!waiting.async) return;
    this.waitingForSpace = true;
    this.keepAlive();
    try {
      await new Promise<void>((resolve) => {
        this.wakeOnFailure = resolve;
        void (waiting.value as Promise<string>).then(() => resolve());
      });
    } finally {
      this.wakeOnFailure = undefined;
      this.waitingForSpace = false;
      this.keepAlive();
    }
  }

  private copy(chunk: Uint8Array, offset: number, length: number): void {
    let left = length;
    while (left > 0) {
      const at = this.written % this.ringSize;
      const n = Math.min(left, this.ringSize - at);
      this.ring.set(chunk.subarray(offset, offset + n), at);
      this.written += n;
      offset += n;
      left -= n;
    }
    Atomics.store(this.control, WRITTEN, BigInt(this.written));
  }

  private signal(): void {
    Atomics.add(this.control, SEQUENCE, 1n);
    if (Atomics.load(this.control, SLEEPING) === 1n) Atomics.notify(this.control, SEQUENCE);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.digests.values()) waiting.reject(error);
    this.digests.clear();
    this.wakeOnFailure?.();
  }
}
