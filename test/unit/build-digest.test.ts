import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, utimes, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest, contextDigest } from '../../src/build/build-digest.js';
import { digestedLabels, imageLabels } from '../../src/build/labels.js';
import { withoutCredentials } from '../../src/build/git-info.js';
import { StatCache } from '../../src/build/stat-cache.js';
import type { ContextEntry } from '../../src/context/entry.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-digest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const OLD = new Date('2020-01-01T00:00:00Z');
/** A clock an hour after the files were written, so that none of them is "racily clean". */
const later = (): number => Date.now() + 3_600_000;

async function file(name: string, content: string): Promise<ContextEntry> {
  const source = join(dir, name);
  await writeFile(source, content);
  await utimes(source, OLD, OLD);
  return { path: name, type: 'file', mode: 0o644, size: Buffer.byteLength(content), mtime: OLD.getTime() / 1000, source };
}

describe('StatCache', () => {
  it('re-reads no unchanged file on the second run, and re-reads a changed one', async () => {
    const cacheFile = join(dir, 'cache', 'ctx.json');
    const entries = [await file('a.txt', 'alpha'), await file('b.txt', 'beta')];
    const first = await StatCache.load(cacheFile, later);
    const digest1 = await contextDigest(entries, first);
    expect(first.stats).toEqual({ hits: 0, misses: 2 });
    await first.save();

    const second = await StatCache.load(cacheFile, later);
    expect(await contextDigest(entries, second)).toBe(digest1);
    expect(second.stats).toEqual({ hits: 2, misses: 0 });

    // Same size, same mtime (restored), new content: ctime gives it away.
    await writeFile(join(dir, 'b.txt'), 'BETA');
    await utimes(join(dir, 'b.txt'), OLD, OLD);
    const third = await StatCache.load(cacheFile, later);
    const digest3 = await contextDigest(entries, third);
    expect(third.stats).toEqual({ hits: 1, misses: 1 });
    expect(digest3).not.toBe(digest1);
  });

  it('does not remember files modified just before they were hashed (racily clean)', async () => {
    const cacheFile = join(dir, 'cache.json');
    const source = join(dir, 'fresh.txt');
    await writeFile(source, 'now');
    const cache = await StatCache.load(cacheFile, Date.now);
    await cache.hash(source, 3);
    await cache.save();
    expect(JSON.parse(await readFile(cacheFile, 'utf8'))).toEqual({ version: 1, files: {} });
  });

  it('hashes large files on worker threads, to the same digest', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const source = join(dir, 'big.bin');
    await writeFile(source, big);
    const cache = await StatCache.load(undefined, later);
    try {
      expect(await cache.hash(source, big.length)).toBe(createHash('sha256').update(big).digest('hex'));
      await expect(cache.hash(join(dir, 'missing.bin'), big.length)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await cache.close();
    }
  });

  it('treats a corrupt cache file as empty', async () => {
    const cacheFile = join(dir, 'cache.json');
    await writeFile(cacheFile, '{not json');
    const entries = [await file('a.txt', 'alpha')];
    const cache = await StatCache.load(cacheFile, later);
    await contextDigest(entries, cache);
    expect(cache.stats).toEqual({ hits: 0, misses: 1 });
  });
});

describe('contextDigest', () => {
  it('depends on paths, modes, link targets and content, not on mtimes', async () => {
    const a = await file('a.txt', 'alpha');
    const base = await contextDigest([a], await StatCache.load(undefined));
    expect(await contextDigest([{ ...a, mtime: 1 }], await StatCache.load(undefined))).toBe(base);
    expect(await contextDigest([{ ...a, mode: 0o755 }], await StatCache.load(undefined))).not.toBe(base);
    expect(await contextDigest([{ ...a, path: 'b.txt' }], await StatCache.load(undefined))).not.toBe(base);
    const link: ContextEntry = { path: 'l', type: 'symlink', mode: 0o777, size: 0, mtime: 0, linkname: 'a.txt' };
    expect(await contextDigest([a, link], await StatCache.load(undefined))).not.toBe(
      await contextDigest([a, { ...link, linkname: 'b.txt' }], await StatCache.load(undefined)),
    );
    // Generated content (an injected Dockerfile) is hashed from memory.
    const generated: ContextEntry = { path: '.dockerfile.x', type: 'file', mode: 0o600, size: 4, mtime: 0, content: Buffer.from('FROM') };
    expect(await contextDigest([generated], await StatCache.load(undefined))).not.toBe(
      await contextDigest([{ ...generated, content: Buffer.from('from') }], await StatCache.load(undefined)),
    );
  });
});

describe('buildDigest', () => {
  const input = { dockerfileName: 'Dockerfile', buildArgs: { A: '1', B: '2' }, labels: { x: 'y' }, network: 'default' as const, baseImageIds: ['sha256:1'] };
  it('is stable under key order and changes with every input', () => {
    const base = buildDigest('sha256:c', input);
    expect(buildDigest('sha256:c', { ...input, buildArgs: { B: '2', A: '1' } })).toBe(base);
    for (const changed of [
      { ...input, buildArgs: { A: '1', B: '3' } },
      { ...input, labels: {} },
      { ...input, target: 'x' },
      { ...input, platform: 'linux/arm64' },
      { ...input, network: 'none' as const },
      { ...input, baseImageIds: ['sha256:2'] },
      { ...input, dockerfileName: 'other' },
    ]) {
      expect(buildDigest('sha256:c', changed)).not.toBe(base);
    }
    expect(buildDigest('sha256:d', input)).not.toBe(base);
  });
});

describe('labels', () => {
  it('sets the OCI labels, lets --label win, and leaves the creation time out of the digest', () => {
    const labels = imageLabels({
      git: { commit: 'a'.repeat(40), remote: 'https://example.com/o/r.git', dirty: true },
      version: '1.2.3',
      createdSeconds: 1700000000,
      userLabels: { 'org.opencontainers.image.version': 'mine' },
    });
    expect(labels).toEqual({
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      'org.opencontainers.image.source': 'https://example.com/o/r.git',
      'org.opencontainers.image.revision': `${'a'.repeat(40)}-dirty`,
      'org.opencontainers.image.version': 'mine',
    });
    expect(digestedLabels(labels, {})).not.toHaveProperty('org.opencontainers.image.created');
  });

  it('never puts credentials from a remote URL into a label', () => {
    expect(withoutCredentials('https://user:ghp_secret@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(withoutCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
  });
});
