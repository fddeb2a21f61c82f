/**
 * The hashing thread: digests equal node:crypto's for members of every size, in the order they
 * were closed, across ring wrap-arounds, with backpressure when the ring is full.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashWorker } from '../../src/archive/hash-worker.js';

const sha256 = (parts: readonly Buffer[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256:${hash.digest('hex')}`;
};

describe('HashWorker', () => {
  it('hashes a sequence of members through a small ring, in order', async () => {
    const worker = new HashWorker(64 * 1024);
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
});
