/**
 * The hashing thread: digests equal node:crypto's for members of every size, in the order they
 * were closed, across ring wrap-arounds, with backpressure when the ring is full; with `startAt`,
 * short streams are hashed in place and long ones go on to the thread.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashWorker } from '../../src/hash-worker.js';

const sha256 = (parts: readonly Buffer[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
};

describe('HashWorker', () => {
  it('hashes a sequence of members through a small ring, in order', async () => {
    const worker = new HashWorker({ ringSize: 64 * 1024 });
    try {
      const members: Buffer[][] = [];
      const digests: Promise<string>[] = [];
      let seed = 1;
      for (const size of [0, 1, 511, 65_536, 65_537, 300_000, 5, 1_000_000]) {
        const parts: Buffer[] = [];
        let left = size;
        while (left > 0) {
          // Chunks of uneven sizes, larger than the ring too.
          const n = Math.min(left, 1 + ((seed * 7919) % 90_000));
          const part = Buffer.alloc(n);
          for (let i = 0; i < n; i++) part[i] = (seed + i * 31) & 0xff;
          seed += 1;
          parts.push(part);
          const waiting = worker.update(part);
          if (waiting !== undefined) await waiting;
          left -= n;
        }
        members.push(parts);
        digests.push(worker.digest());
      }
      expect(await Promise.all(digests)).toEqual(members.map(sha256));
    } finally {
      await worker.close();
    }
  });

  it('equals sha256 of the stream for short streams (in place), long ones (worker) and chunks larger than the ring', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    for (const total of [0, 1000, 5000, 300_000]) {
      const worker = new HashWorker({ ringSize: 16 * 1024, startAt: 256 * 1024 });
      try {
        // Uneven chunks, some bigger than the whole ring, so regions wrap around.
        for (let at = 0, step = 1; at < total; step = (step * 37 + 11) % 40_000) {
          const end = Math.min(total, at + step);
          await worker.update(data.subarray(at, end));
          at = end;
        }
        expect(await worker.digest()).toBe(sha256([data.subarray(0, total)]));
      } finally {
        await worker.close();
      }
    }
  });

  it('members closed before the thread starts are hashed in place, and the thread takes over after them', async () => {
    const worker = new HashWorker({ ringSize: 64 * 1024, startAt: 16 * 1024 });
    try {
      const small = Buffer.alloc(1000, 7);
      const large = Buffer.alloc(200_000);
      for (let i = 0; i < large.length; i++) large[i] = (i * 31) & 0xff;
      await worker.update(small);
      const first = worker.digest();
      await worker.update(small.subarray(0, 10));
      const second = worker.digest();
      await worker.update(large);
      const third = worker.digest();
      expect(await Promise.all([first, second, third])).toEqual([sha256([small]), sha256([small.subarray(0, 10)]), sha256([large])]);
    } finally {
      await worker.close();
    }
  });

  it('can be abandoned without waiting for the worker', async () => {
    const worker = new HashWorker({ ringSize: 4096, startAt: 256 * 1024 });
    await worker.update(Buffer.alloc(3000, 1));
    await worker.close();
    await expect(Promise.resolve(worker.update(Buffer.alloc(1)))).resolves.toBeUndefined();
  });
});
