/**
 * SHA-256 of large members on a second thread. Hashing runs at about 1.5 GB/s per core, as slow as
 * receiving the engine's save stream and writing the archive put together; on the main thread it
 * would add a third to the time `pack archive` takes (and to `pack verify`), on a worker it overlaps
 * with the I/O.
 *
 * The same design as the context encoder's StreamDigest (src/context/stream-digest.ts), extended to
 * a sequence of members: bytes are copied into one fixed ring of shared memory and the worker is
 * told which region to hash; `digest()` closes the current member and starts the next. Messages
 * are handled in order, so digests come back in the order the members were closed. Memory stays
 * bounded by the ring; when it is full, `update` waits for the worker to catch up.
 */
import { Worker } from 'node:worker_threads';

/** CommonJS, evaluated in the worker: hash ring regions, acknowledge them, answer null with the digest. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData.ring);
const control = new Int32Array(workerData.control);
let hash = createHash('sha256');
let hashed = 0;
let acked = 0;
parentPort.on('message', (region) => {
  if (region === null) {
    const digest = hash.digest('hex');
    hash = createHash('sha256');
    acked = hashed;
    parentPort.postMessage({ hashed, digest });
    return;
  }
  hash.update(ring.subarray(region[0], region[0] + region[1]));
  hashed += region[1];
  // Acknowledge only when the writer waits for room, or now and then: a message per chunk would
  // cost the main thread more than the hashing saves.
  if (Atomics.load(control, 0) === 1 || hashed - acked >= ACK_BYTES) {
    Atomics.store(control, 0, 0);
    acked = hashed;
    parentPort.postMessage({ hashed });
  }
});
`;
/** Bytes hashed between two acknowledgements when nobody waits; regions are posted in pieces up to this size. */
const ACK_BYTES = 4 * 1024 * 1024;
const REGION_BYTES = 1024 * 1024;

export class HashWorker {
  private readonly ring: Buffer;
  /** control[0] = 1: the main thread waits for room and wants an acknowledgement at once. */
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  /** Copied into the ring but not yet posted: [start, length], contiguous. */
  private regionStart = 0;
  private regionLength = 0;
  private readonly worker: Worker;
  private written = 0;
  private hashed = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly digests: { resolve: (digest: string) => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly ringSize = 16 * 1024 * 1024) {
    this.ring = Buffer.from(new SharedArrayBuffer(ringSize));
    this.worker = new Worker(WORKER_SOURCE.replace('ACK_BYTES', String(ACK_BYTES)), { eval: true, workerData: { ring: this.ring.buffer, control: this.control.buffer } });
    this.worker.on('message', (message: { hashed: number; digest?: string }) => {
      this.hashed = message.hashed;
      if (message.digest !== undefined) this.digests.shift()?.resolve(`sha256:${message.digest}`);
      this.wake?.();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`the hashing thread exited with code ${code}`));
    });
  }

  /** Adds a chunk to the current member. Returns a promise only when the ring is full. */
  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.ringSize - (this.written - this.hashed) >= chunk.byteLength) {
      this.copy(chunk, 0);
      return undefined;
    }
    return this.updateSlowly(chunk);
  }

  /** Closes the current member; resolves with `sha256:<hex>` of its bytes. */
  digest(): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.post();
    return new Promise((resolve, reject) => {
      this.digests.push({ resolve, reject });
      this.worker.postMessage(null);
    });
  }

  /** Stops the thread; owners call it in `finally` (a live worker keeps the process running). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private async updateSlowly(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.failure !== undefined) throw this.failure;
      const free = this.ringSize - (this.written - this.hashed);
      if (free === 0) {
        this.post();
        Atomics.store(this.control, 0, 1);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      offset = this.copy(chunk, offset, free);
    }
  }

  /** Copies what fits (up to `limit` bytes) from `offset`; returns the new offset. */
  private copy(chunk: Uint8Array, offset: number, limit = Infinity): number {
    let left = Math.min(limit, chunk.byteLength - offset);
    while (left > 0) {
      const at = this.written % this.ringSize;
      const n = Math.min(left, this.ringSize - at);
      this.ring.set(chunk.subarray(offset, offset + n), at);
      // Regions grow while contiguous, and go to the worker a megabyte at a time.
      if (this.regionLength > 0 && this.regionStart + this.regionLength !== at) this.post();
      if (this.regionLength === 0) this.regionStart = at;
      this.regionLength += n;
      if (this.regionLength >= REGION_BYTES) this.post();
      this.written += n;
      offset += n;
      left -= n;
    }
    return offset;
  }

  private post(): void {
    if (this.regionLength === 0) return;
    this.worker.postMessage([this.regionStart, this.regionLength]);
    this.regionLength = 0;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.digests.splice(0)) waiting.reject(error);
    this.wake?.();
  }
}
