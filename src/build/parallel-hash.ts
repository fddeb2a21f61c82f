/**
 * sha256 of large files on every core. Hashing is CPU-bound (about 1 GB/s per core with SHA-NI) and
 * runs before the upload starts, so on a first build of a context holding large files it adds to the
 * wall time one to one; spreading the files over worker threads divides that by the core count.
 *
 * The worker is evaluated from source text (`eval: true`, a CommonJS script) rather than loaded from
 * a file, so that the same code runs from dist/ and from the TypeScript sources under test.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
parentPort.on('message', ({ id, path }) => {
  const hash = createHash('sha256');
  createReadStream(path, { highWaterMark: 1 << 20 })
    .on('data', (chunk) => hash.update(chunk))
    .on('error', (error) => parentPort.postMessage({ id, error: { message: error.message, code: error.code } }))
    .on('end', () => parentPort.postMessage({ id, sha256: hash.digest('hex') }));
});
`;

interface Reply {
  readonly id: number;
  readonly sha256?: string;
  readonly error?: { readonly message: string; readonly code?: string };
}

export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();
  private next = 0;
  private nextId = 0;

  constructor(size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i += 1) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.on('message', (reply: Reply) => {
        const waiter = this.pending.get(reply.id);
        if (waiter === undefined) return;
        this.pending.delete(reply.id);
        if (reply.sha256 !== undefined) waiter.resolve(reply.sha256);
        else waiter.reject(Object.assign(new Error(reply.error?.message ?? 'hash failed'), { code: reply.error?.code }));
      });
      worker.on('error', (error) => {
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      this.workers.push(worker);
    }
  }

  hash(path: string): Promise<string> {
    const id = this.nextId++;
    const worker = this.workers[this.next++ % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
