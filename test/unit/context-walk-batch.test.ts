/**
 * Batches of entries: the columnar form the walk worker sends (src/context/walk-batch.ts), the
 * batched walk of PreparedContext.entryBatches (in this thread here: the unit tests run the
 * TypeScript sources; the worker itself is tested through the built CLI in
 * test/cli/context-walk-worker.test.ts), and the tar encoder taking batches as they come.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContextEntry } from '../../src/context/entry.js';
import { prepareContext } from '../../src/context/prepare.js';
import { tarContext } from '../../src/context/tar-encoder.js';
import { packBatch, unpackBatch } from '../../src/context/walk-batch.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pack-walk-batch-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const tree = (files: TreeFiles): string => writeTree(root, files);

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('packed batches', () => {
  it('give back exactly the entries packed: every type, optional fields present or absent, any names', () => {
    const entries: ContextEntry[] = [
      { path: 'dir', type: 'dir', mode: 0o2755, size: 0, mtime: 1_700_000_000 },
      { path: 'dir/file.txt', type: 'file', mode: 0o644, size: 2 ** 40 + 3, mtime: 0, source: '/ctx/dir/file.txt' },
      { path: 'żółw/ünï cödé\n.txt', type: 'file', mode: 0o4755, size: 0, mtime: 8 ** 11, source: '/ctx/żółw/ünï cödé\n.txt' },
      { path: 'link', type: 'symlink', mode: 0o777, size: 0, mtime: 5, linkname: '../a b/ç' },
      { path: 'again', type: 'hardlink', mode: 0o644, size: 0, mtime: 5, linkname: 'dir/file.txt' },
      { path: 'pipe', type: 'fifo', mode: 0o600, size: 0, mtime: 1, source: '/ctx/pipe' },
      { path: 'empty-link', type: 'symlink', mode: 0o777, size: 0, mtime: 1, linkname: '' },
    ];
    const unpacked = unpackBatch(packBatch(entries));
    expect(unpacked).toStrictEqual(entries);
  });

  it('keep a batch of one entry and one without any source or link', () => {
    const one: ContextEntry[] = [{ path: 'd', type: 'dir', mode: 0o755, size: 0, mtime: 1 }];
    expect(unpackBatch(packBatch(one))).toStrictEqual(one);
  });
});

describe('PreparedContext.entryBatches', () => {
  it('gives the entries of entries(), in order, in batches (generated entries included)', async () => {
    const files: Record<string, string> = { '.dockerignore': 'skip\n', 'skip/x': 'x' };
    for (let i = 0; i < 700; i++) files[`d${i % 9}/f${i}`] = String(i);
    tree(files);
    symlinkSync('d0', join(root, 'ln'));
    linkSync(join(root, 'd0/f0'), join(root, 'hard'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const outside = mkdtempSync(join(tmpdir(), 'pack-walk-batch-df-'));
    try {
      writeFileSync(join(outside, 'Dockerfile'), 'FROM scratch\n');
      // A Dockerfile outside the context: injected last, and .dockerignore gets its name.
      const prepared = prepareContext({ contextDir: root, dockerfile: join(outside, 'Dockerfile'), mode: 'buildkit' });
      const batches: ContextEntry[][] = [];
      for await (const batch of prepared.entryBatches()) batches.push(batch);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.flat()).toEqual([...prepared.entries()]);
      expect(batches.flat().at(-1)?.path).toBe(prepared.dockerfile.nameInContext);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reports the walk’s errors like entries() does', async () => {
    tree({ Dockerfile: '' });
    const prepared = prepareContext({ contextDir: root, mode: 'buildkit' });
    rmSync(root, { recursive: true, force: true });
    const consume = async (): Promise<void> => {
      for await (const _batch of prepared.entryBatches());
    };
    await expect(consume()).rejects.toMatchObject({ code: 'CONTEXT_UNREADABLE', message: 'cannot read .: ENOENT' });
  });
});

describe('tar encoder input', () => {
  it('writes the same archive from batches as from the list', async () => {
    const files: Record<string, string> = { Dockerfile: 'FROM scratch\n' };
    for (let i = 0; i < 600; i++) files[`d${i % 7}/f${i}.txt`] = 'x'.repeat(i);
    tree(files);
    const prepared = prepareContext({ contextDir: root, mode: 'buildkit' });
    const fromList = await collect(tarContext([...prepared.entries()]));
    const fromBatches = await collect(tarContext(prepared.entryBatches()));
    // Batches of every size, including empty ones, mixed with single entries.
    async function* mixed(): AsyncGenerator<ContextEntry | ContextEntry[]> {
      const all = [...prepared.entries()];
      yield [];
      yield all[0] as ContextEntry;
      for (let at = 1, size = 1; at < all.length; at += size, size = (size * 3) % 97) yield all.slice(at, at + size);
      yield [];
    }
    expect(fromBatches.equals(fromList)).toBe(true);
    expect((await collect(tarContext(mixed()))).equals(fromList)).toBe(true);
  });
});
