/**
 * The context tar encoder: Go archive/tar header bytes (what Docker's CLI sends), streaming with
 * bounded memory, errors that name the file, abort that releases every descriptor.
 *
 * Entries come from a tiny lstat-based helper below (the real walker is tested on its own);
 * archives are read back with tar-stream (test/support/tar-read.ts) and GNU tar, and compared
 * byte for byte with the docker CLI's own context where the CLI is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ContextEntry } from '../../src/context/entry.js';
import { SMALL_FILE_MAX, tarContext, tarSize, type TarContextOptions } from '../../src/context/tar-encoder.js';
import { TypeFlag, encodeTarHeader } from '../../src/context/tar-header.js';
import { PackError } from '../../src/errors.js';
import type { PackEvent } from '../../src/progress/events.js';
import { captureDockerCliContext, dockerCliVersion } from '../support/docker-cli-oracle.js';
import { readTar } from '../support/tar-read.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
/** 2001-09-09T01:46:40Z: a fixed mtime so listings are exact. */
const T = 1_000_000_000;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pack-tar-'));
});
afterEach(() => {
  // Undo 0o000 directories and files so the tree can be removed.
  execFileSync('chmod', ['-R', 'u+rwx', root]);
  rmSync(root, { recursive: true, force: true });
});

const tree = (files: TreeFiles): string => writeTree(root, files);

/** Sets every mtime under `root` to T (symlinks themselves included), deepest first. */
function fixMtimes(dir = root): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const stats = lstatSync(full);
    if (stats.isDirectory()) fixMtimes(full);
    if (stats.isSymbolicLink()) lutimesSync(full, T, T);
    else utimesSync(full, T, T);
  }
  if (dir === root) utimesSync(root, T, T);
}

/**
 * Test stand-in for the walker: lstat every name, depth-first, each directory sorted bytewise,
 * the first name of a hard-linked file is the file and later names link to it.
 */
function entriesOf(dir: string): ContextEntry[] {
  const out: ContextEntry[] = [];
  const firstName = new Map<string, string>();
  const visit = (abs: string, rel: string): void => {
    const names = readdirSync(abs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const full = join(abs, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const stats = lstatSync(full);
      const base = { path, mode: stats.mode & 0o7777, mtime: Math.floor(stats.mtimeMs / 1000) };
      if (stats.isDirectory()) {
        out.push({ ...base, type: 'dir', size: 0 });
        visit(full, path);
      } else if (stats.isSymbolicLink()) {
        out.push({ ...base, type: 'symlink', size: 0, linkname: readlinkSync(full) });
      } else if (stats.isFIFO()) {
        out.push({ ...base, type: 'fifo', size: 0 });
      } else if (stats.isFile()) {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1 ? firstName.get(inode) : undefined;
        if (first !== undefined) {
          out.push({ ...base, type: 'hardlink', size: 0, linkname: first });
        } else {
          if (stats.nlink > 1) firstName.set(inode, path);
          out.push({ ...base, type: 'file', size: stats.size, source: full });
        }
      }
    }
  };
  visit(dir, '');
  return out;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function pack(
  entries: ContextEntry[] | AsyncIterable<ContextEntry>,
  options: TarContextOptions = {},
): Promise<{ tar: Buffer; events: PackEvent[] }> {
  const events: PackEvent[] = [];
  const tar = await collect(tarContext(entries, { ...options, emit: (event) => events.push(event) }));
  return { tar, events };
}

/** GNU tar's verbose listing, numeric owners, UTC. */
function gnuList(tar: Buffer): string[] {
  const out = execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, env: { ...process.env, TZ: 'UTC' } });
  return out.toString('utf8').trimEnd().split('\n').map((line) => line.replace(/ +/g, ' '));
}

/** The raw 512-byte header block of the first member named `name` (USTAR name field only). */
function rawHeader(tar: Buffer, name: string): Buffer {
  for (let at = 0; at + 512 <= tar.length; ) {
    const block = tar.subarray(at, at + 512);
    if (block.every((byte) => byte === 0)) break;
    const size = Number.parseInt(block.subarray(124, 135).toString('latin1'), 8) || 0;
    if (block.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '') === name) return block;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no header named ${name}`);
}

describe('members and headers', () => {
  it('writes regular files of every size: empty, small, block-sized, over the read-whole limit, several MB', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    tree({
      'empty.txt': '',
      'small.txt': 'hello\n',
      'block.bin': Buffer.alloc(512, 7),
      'over-limit.bin': Buffer.alloc(SMALL_FILE_MAX + 1, 1),
      'at-limit.bin': Buffer.alloc(SMALL_FILE_MAX, 2),
      'several-mb.bin': big,
    });
    const entries = entriesOf(root);
    const { tar, events } = await pack(entries);
    const { entries: read, structure } = await readTar(tar);
    expect(read.map((e) => [e.path, e.type, e.size])).toEqual([
      ['at-limit.bin', 'file', SMALL_FILE_MAX],
      ['block.bin', 'file', 512],
      ['empty.txt', 'file', 0],
      ['over-limit.bin', 'file', SMALL_FILE_MAX + 1],
      ['several-mb.bin', 'file', big.length],
      ['small.txt', 'file', 6],
    ]);
    expect(read.find((e) => e.path === 'several-mb.bin')?.sha256).toBe(sha256(big));
    expect(read.find((e) => e.path === 'over-limit.bin')?.sha256).toBe(sha256(Buffer.alloc(SMALL_FILE_MAX + 1, 1)));
    expect(read.find((e) => e.path === 'small.txt')?.sha256).toBe(sha256('hello\n'));
    // Go's tar writer ends with exactly two zero blocks and no padding to a 10 KiB record.
    expect(structure).toMatchObject({ lastMemberPadded: true, trailerZeroBlocks: 2, trailingGarbage: 0 });
    expect(tar.length).toBe(tarSize(entries));
    // The archive is over the digest's in-place limit, so this also checks the worker's digest.
    const done = events.find((e) => e.type === 'context.done');
    expect(done).toEqual({ type: 'context.done', files: 6, bytes: tar.length, sha256: sha256(tar) });
  });

  it('names directories with a trailing slash and keeps setuid/setgid/sticky bits, without file-type bits', async () => {
    tree({ 'bin/tool': '#!/bin/sh\n', 'shared/': '', 'locked/': '', 'locked/inside': 'x', 'plain.txt': 'p' });
    chmodSync(join(root, 'bin/tool'), 0o4755);
    chmodSync(join(root, 'bin'), 0o2750);
    chmodSync(join(root, 'shared'), 0o1777);
    chmodSync(join(root, 'plain.txt'), 0o640);
    chmodSync(join(root, 'locked'), 0o000);
    const { tar } = await pack(entriesOf(root));
    const read = (await readTar(tar)).entries;
    expect(read.map((e) => [e.path, e.type, e.mode.toString(8)])).toEqual([
      ['bin/', 'directory', '2750'],
      ['bin/tool', 'file', '4755'],
      ['locked/', 'directory', '0'],
      ['locked/inside', 'file', '644'],
      ['plain.txt', 'file', '640'],
      ['shared/', 'directory', '1777'],
    ]);
    // Go's FileInfoHeader: the mode field holds permission bits only ("0002750\0"), never S_IFDIR.
    expect(rawHeader(tar, 'bin/').subarray(100, 108).toString('latin1')).toBe('0002750\0');
    expect(rawHeader(tar, 'locked/').subarray(100, 108).toString('latin1')).toBe('0000000\0');
  });

  it('stores symlink targets verbatim (relative, absolute, dangling) and never follows them', async () => {
    tree({ 'data/big.bin': Buffer.alloc(100_000, 9) });
    symlinkSync('data/big.bin', join(root, 'relative'));
    symlinkSync('/etc/passwd', join(root, 'absolute'));
    symlinkSync('../../nowhere/at/all', join(root, 'dangling'));
    symlinkSync('data', join(root, 'dirlink'));
    const { tar } = await pack(entriesOf(root));
    const read = (await readTar(tar)).entries;
    const links = read.filter((e) => e.type === 'symlink');
    expect(links.map((e) => [e.path, e.linkname, e.size, e.mode.toString(8)])).toEqual([
      ['absolute', '/etc/passwd', 0, '777'],
      ['dangling', '../../nowhere/at/all', 0, '777'],
      ['dirlink', 'data', 0, '777'],
      ['relative', 'data/big.bin', 0, '777'],
    ]);
    // Only the real file carries data: header blocks + 100000 bytes padded + trailer.
    expect(tar.length).toBe(512 * 6 + Math.ceil(100_000 / 512) * 512 + 1024);
  });

  it('writes later names of a hard-linked file as link members of size 0 naming the first', async () => {
    tree({ 'a/first.txt': 'shared inode' });
    linkSync(join(root, 'a/first.txt'), join(root, 'b-second.txt'));
    linkSync(join(root, 'a/first.txt'), join(root, 'c-third.txt'));
    const { tar } = await pack(entriesOf(root));
    const read = (await readTar(tar)).entries;
    expect(read.map((e) => [e.path, e.type, e.size, e.linkname])).toEqual([
      ['a/', 'directory', 0, ''],
      ['a/first.txt', 'file', 12, ''],
      ['b-second.txt', 'link', 0, 'a/first.txt'],
      ['c-third.txt', 'link', 0, 'a/first.txt'],
    ]);
    // GNU tar restores them as one inode.
    const out = join(root, '..', `${root.split('/').pop()}-x`);
    mkdirSync(out);
    try {
      execFileSync('tar', ['-xf', '-', '-C', out], { input: tar });
      expect(lstatSync(join(out, 'c-third.txt')).ino).toBe(lstatSync(join(out, 'a/first.txt')).ino);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('writes FIFOs as fifo members without opening them', async () => {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    tree({ 'after.txt': 'still here' });
    const { tar } = await pack(entriesOf(root));
    const read = (await readTar(tar)).entries;
    expect(read.map((e) => [e.path, e.type, e.size])).toEqual([
      ['after.txt', 'file', 10],
      ['pipe', 'fifo', 0],
    ]);
  });

  it('carries long and non-ASCII names in PAX headers as Go does, and they round-trip exactly', async () => {
    const long250 = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}/${'g'.repeat(67)}`;
    const splittable = `${'p'.repeat(70)}/${'q'.repeat(49)}`; // 120 bytes: USTAR prefix + name
    const longTarget = `${'t'.repeat(101)}`;
    tree({ [long250]: 'deep', [splittable]: 'split', 'ünïcødé/日本.txt': 'ja', 'naïve.txt': 'n' });
    symlinkSync('ünïcødé/日本.txt', join(root, 'to-unicode'));
    symlinkSync(longTarget, join(root, 'to-long'));
    expect(Buffer.byteLength(long250)).toBe(250);
    const { tar } = await pack(entriesOf(root));
    const read = (await readTar(tar)).entries;
    const byPath = new Map(read.map((e) => [e.path, e]));
    expect(byPath.get(long250)?.sha256).toBe(sha256('deep'));
    expect(byPath.get(long250)?.paxKeys).toEqual(['path']);
    expect(byPath.get(splittable)?.paxKeys).toBeUndefined();
    expect(byPath.get('ünïcødé/')?.paxKeys).toEqual(['path']);
    expect(byPath.get('ünïcødé/日本.txt')?.sha256).toBe(sha256('ja'));
    expect(byPath.get('naïve.txt')?.paxKeys).toEqual(['path']);
    expect(byPath.get('to-unicode')).toMatchObject({ linkname: 'ünïcødé/日本.txt', paxKeys: ['linkpath'] });
    expect(byPath.get('to-long')).toMatchObject({ linkname: longTarget, paxKeys: ['linkpath'] });
    // Go's splitUSTARPath puts as much as fits into the 155-byte prefix, splitting at the last slash.
    const split = rawHeader(tar, 'q'.repeat(49));
    expect(split.subarray(345, 500).toString('latin1').replace(/\0+$/, '')).toBe('p'.repeat(70));
    // Go names the extended header <dir>/PaxHeaders.0/<base>, non-ASCII dropped; the main header
    // keeps an ASCII-only copy of the name.
    expect(rawHeader(tar, 'ncd/PaxHeaders.0/.txt')[156]).toBe('x'.charCodeAt(0));
    expect(rawHeader(tar, 'ncd/.txt')[156]).toBe('0'.charCodeAt(0));
    // GNU tar reads the same names.
    const names = gnuList(tar).map((line) => line.split(' ').slice(5).join(' '));
    expect(names).toContain(long250);
    expect(names).toContain('ünïcødé/日本.txt');
    expect(names).toContain('to-unicode -> ünïcødé/日本.txt');
  });

  it('lists in GNU tar with owner 0/0, no user names and the right types and modes', async () => {
    tree({ 'dir/file.txt': 'hello', 'exec.sh': '#!/bin/sh\n' });
    chmodSync(join(root, 'exec.sh'), 0o755);
    symlinkSync('dir/file.txt', join(root, 'link'));
    linkSync(join(root, 'dir/file.txt'), join(root, 'zz-hard'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    chmodSync(join(root, 'fifo'), 0o600);
    fixMtimes();
    const { tar } = await pack(entriesOf(root));
    expect(gnuList(tar)).toEqual([
      'drwxr-xr-x 0/0 0 2001-09-09 01:46 dir/',
      '-rw-r--r-- 0/0 5 2001-09-09 01:46 dir/file.txt',
      '-rwxr-xr-x 0/0 10 2001-09-09 01:46 exec.sh',
      'prw------- 0/0 0 2001-09-09 01:46 fifo',
      'lrwxrwxrwx 0/0 0 2001-09-09 01:46 link -> dir/file.txt',
      'hrw-r--r-- 0/0 0 2001-09-09 01:46 zz-hard link to dir/file.txt',
    ]);
    const read = (await readTar(tar)).entries;
    for (const entry of read) {
      expect(entry).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', format: 'posix' });
    }
    // Go's field formatting: octal, zero-padded, NUL-terminated; checksum ends "\0 ".
    const header = rawHeader(tar, 'exec.sh');
    expect(header.subarray(108, 124).toString('latin1')).toBe('0000000\u00000000000\u0000');
    expect(header.subarray(124, 136).toString('latin1')).toBe('00000000012\0');
    expect(header.subarray(154, 156).toString('latin1')).toBe('\0 ');
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar\u000000');
    expect(header.subarray(265, 329).every((byte) => byte === 0)).toBe(true);
  });

  it('writes in-memory content (an injected Dockerfile) like a file', async () => {
    const content = Buffer.from('FROM busybox:local\nCOPY . /app\n');
    const entries: ContextEntry[] = [
      { path: '.dockerfile.0123456789abcdef0123', type: 'file', mode: 0o644, size: content.length, mtime: T, content },
    ];
    const read = (await readTar((await pack(entries)).tar)).entries;
    expect(read).toMatchObject([{ path: '.dockerfile.0123456789abcdef0123', type: 'file', size: content.length, sha256: sha256(content), mtime: T }]);
  });

  it('accepts entries from an async iterable', async () => {
    tree({ 'a.txt': 'a', 'b.txt': 'bb' });
    const list = entriesOf(root);
    async function* lazily(): AsyncGenerator<ContextEntry> {
      for (const entry of list) {
        await new Promise((resolve) => setImmediate(resolve));
        yield entry;
      }
    }
    const { tar, events } = await pack(lazily());
    expect(tar.equals((await pack(list)).tar)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'context.done', files: 2 });
  });
});

describe('determinism', () => {
  it('gives byte-identical archives for the same entries, and the done event hashes exactly those bytes', async () => {
    tree({ 'src/a.js': 'a'.repeat(3000), 'src/b.js': 'b', 'README.md': '# hi\n', 'ünï.txt': 'u' });
    symlinkSync('src/a.js', join(root, 'main.js'));
    const entries = entriesOf(root);
    const first = await pack(entries);
    const second = await pack(entries);
    expect(second.tar.equals(first.tar)).toBe(true);
    const done = first.events.filter((e) => e.type === 'context.done');
    expect(done).toEqual([{ type: 'context.done', files: entries.length, bytes: first.tar.length, sha256: sha256(first.tar) }]);
  });

  it('can skip the digest: same bytes, no sha256 in the done event', async () => {
    tree({ 'a.txt': 'a', 'big.bin': Buffer.alloc(4 * 1024 * 1024, 1) });
    const entries = entriesOf(root);
    const withDigest = await pack(entries);
    const without = await pack(entries, { digest: false });
    expect(without.tar.equals(withDigest.tar)).toBe(true);
    expect(without.events.at(-1)).toEqual({ type: 'context.done', files: 2, bytes: without.tar.length });
  });

  it('clamps mtimes to SOURCE_DATE_EPOCH: older ones are kept, newer ones become the epoch', async () => {
    tree({ 'old.txt': 'o', 'new.txt': 'n', 'dir/': '' });
    utimesSync(join(root, 'old.txt'), 500_000_000, 500_000_000);
    utimesSync(join(root, 'new.txt'), 2_000_000_000, 2_000_000_000);
    utimesSync(join(root, 'dir'), 1_500_000_000, 1_500_000_000);
    const entries = entriesOf(root);
    const clamped = (await readTar((await pack(entries, { sourceDateEpoch: T })).tar)).entries;
    expect(clamped.map((e) => [e.path, e.mtime])).toEqual([
      ['dir/', T],
      ['new.txt', T],
      ['old.txt', 500_000_000],
    ]);
    const unclamped = (await readTar((await pack(entries)).tar)).entries;
    expect(unclamped.map((e) => e.mtime)).toEqual([1_500_000_000, 2_000_000_000, 500_000_000]);
  });

  it('reports progress at a modest rate, not per entry', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`f/${String(i).padStart(3, '0')}`] = 'x';
    tree(files);
    const { events } = await pack(entriesOf(root));
    const progress = events.filter((e) => e.type === 'context.progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(301 / 64) + 1);
    // Entries given as an array let the events carry the exact total.
    expect(progress.at(-1)).toMatchObject({ files: 301, bytes: progress.at(-1)?.totalBytes });
  });
});

const cliVersion = await dockerCliVersion();
const cliRequired = process.env.PACK_REQUIRE_ENGINE === '1' || process.env.CI === 'true';
if (cliVersion === undefined && !cliRequired) {
  console.warn('\n!!! tar-encoder: docker CLI comparison SKIPPED: no docker CLI (set PACK_DOCKER_CLI or put docker on PATH) !!!\n');
}

describe.skipIf(cliVersion === undefined && !cliRequired)('against the docker CLI (legacy builder)', () => {
  it('produces exactly the bytes `docker build` sends for a tree with every kind of member', async () => {
    tree({
      Dockerfile: 'FROM scratch\nCOPY . /\n',
      'empty.txt': '',
      'sub/a.txt': 'hello',
      'sub/deeper/': '',
      'ünïcødé/日本.txt': 'x',
      'big.bin': Buffer.alloc(SMALL_FILE_MAX + 4321, 5),
      [`${'d'.repeat(60)}/${'d'.repeat(60)}/${'d'.repeat(60)}/${'f'.repeat(60)}`]: 'long',
      [`${'p'.repeat(70)}/${'q'.repeat(49)}`]: 'split',
    });
    symlinkSync('../Dockerfile', join(root, 'sub/link'));
    symlinkSync('/nonexistent', join(root, 'dangling'));
    symlinkSync('ünïcødé/日本.txt', join(root, 'ulink'));
    linkSync(join(root, 'sub/a.txt'), join(root, 'hard'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    chmodSync(join(root, 'sub/a.txt'), 0o4755);
    chmodSync(join(root, 'sub/deeper'), 0o1777);
    chmodSync(join(root, 'd'.repeat(60)), 0o2750);
    fixMtimes();
    utimesSync(join(root, 'empty.txt'), 1_234_567_890, 1_234_567_890);
    const capture = await captureDockerCliContext(root);
    try {
      expect(capture.tarPath, capture.stderr).toBeDefined();
      const theirs = await readFile(capture.tarPath as string);
      const { tar: ours } = await pack(entriesOf(root));
      expect(ours.length).toBe(theirs.length);
      expect(sha256(ours)).toBe(sha256(theirs));
    } finally {
      await capture.cleanup();
    }
  });
});

describe('Go header encoding details', () => {
  const header = { typeflag: TypeFlag.file, mode: 0o644, size: 0, mtime: T, linkname: '' } as const;
  const pax = (block: Buffer): string => {
    const size = Number.parseInt(block.subarray(124, 135).toString('latin1'), 8);
    return block.subarray(512, 512 + size).toString('utf8');
  };

  it('moves sizes of 8 GiB and more, and mtimes outside 0..8^11-1, into PAX records with 0 in the field', () => {
    const huge = encodeTarHeader({ ...header, name: 'huge.bin', size: 8 * 1024 ** 3 });
    expect(huge.length).toBe(1536);
    expect(pax(huge)).toBe('19 size=8589934592\n');
    expect(huge.subarray(0, 100).toString('latin1')).toMatch(/^PaxHeaders\.0\/huge\.bin\0/);
    expect(huge.subarray(512 + 512 + 124, 512 + 512 + 136).toString('latin1')).toBe('00000000000\0');
    const old = encodeTarHeader({ ...header, name: 'old', mtime: -1 });
    expect(pax(old)).toBe('12 mtime=-1\n');
    const future = encodeTarHeader({ ...header, name: 'future', mtime: 8 ** 11 });
    expect(pax(future)).toBe('20 mtime=8589934592\n');
    expect(encodeTarHeader({ ...header, name: 'ok', mtime: 8 ** 11 - 1 }).length).toBe(512);
  });

  it('sorts PAX records by key and counts the length digits as Go does', () => {
    const name = `${'n'.repeat(120)}.txt`;
    const block = encodeTarHeader({ ...header, typeflag: TypeFlag.symlink, name, linkname: 'ü' });
    expect(pax(block)).toBe(`15 linkpath=ü\n134 path=${name}\n`);
  });

  it('splits an ASCII path at the last slash that fits, as Go does (not the first)', () => {
    const block = encodeTarHeader({ ...header, name: `${'a'.repeat(99)}/b/c` });
    expect(block.length).toBe(512);
    expect(block.subarray(0, 2).toString('latin1')).toBe('c\0');
    expect(block.subarray(345, 447).toString('latin1')).toBe(`${'a'.repeat(99)}/b\0`);
  });

  it('truncates the ASCII copy of a PAX name to 100 bytes without leaving a trailing slash', () => {
    // Non-ASCII, so PAX; the main header keeps toASCII(name) cut to 100 bytes, where byte 100 is '/'.
    const block = encodeTarHeader({ ...header, name: `ü${'a'.repeat(99)}/xxxxx` });
    const main = block.subarray(block.length - 512);
    expect(main.subarray(0, 100).toString('latin1')).toBe(`${'a'.repeat(99)}\0`);
  });
});

describe('errors', () => {
  it('names a file that vanished after the walk', async () => {
    tree({ 'keep.txt': 'k', 'gone.txt': 'g', 'gone-big.bin': Buffer.alloc(SMALL_FILE_MAX + 1) });
    const entries = entriesOf(root);
    unlinkSync(join(root, 'gone.txt'));
    await expect(pack(entries)).rejects.toMatchObject({
      name: 'PackError',
      code: 'CONTEXT_UNREADABLE',
      message: 'cannot read gone.txt: it was deleted while packing',
    });
    unlinkSync(join(root, 'gone-big.bin'));
    await expect(pack(entries.filter((e) => e.path !== 'gone.txt'))).rejects.toMatchObject({
      code: 'CONTEXT_UNREADABLE',
      message: 'cannot read gone-big.bin: it was deleted while packing',
    });
  });

  it('fails with CONTEXT_CHANGED instead of writing a corrupt archive when a file grew or shrank after the walk', async () => {
    tree({ 'small.txt': 'x'.repeat(100), 'large.bin': Buffer.alloc(SMALL_FILE_MAX + 100) });
    const entries = entriesOf(root);
    appendFileSync(join(root, 'small.txt'), 'more');
    await expect(pack(entries)).rejects.toMatchObject({
      code: 'CONTEXT_CHANGED',
      message: expect.stringMatching(/^small\.txt changed while packing: it grew/) as unknown,
    });
    truncateSync(join(root, 'small.txt'), 10);
    await expect(pack(entries)).rejects.toThrow('small.txt changed while packing: it shrank to 10 of the 100 bytes');
    const large = entriesOf(root).filter((e) => e.path === 'large.bin');
    appendFileSync(join(root, 'large.bin'), 'more');
    await expect(pack(large)).rejects.toThrow(/^large\.bin changed while packing: it grew/);
    truncateSync(join(root, 'large.bin'), 5);
    await expect(pack(large)).rejects.toThrow(/^large\.bin changed while packing: it shrank to 5 of/);
  });

  it('notices a large file shrinking or growing while it is being streamed', async () => {
    const size = 24 * 1024 * 1024;
    tree({ 'stream.bin': Buffer.alloc(size, 3) });
    const entries = entriesOf(root);
    const shrinking = tarContext(entries);
    const iterator = shrinking[Symbol.asyncIterator]();
    await iterator.next();
    truncateSync(join(root, 'stream.bin'), 1024);
    await expect((async () => { while (!(await iterator.next()).done); })()).rejects.toThrow(/^stream\.bin changed while packing: it shrank/);

    writeFileSync(join(root, 'stream.bin'), Buffer.alloc(size, 3));
    const growing = tarContext(entriesOf(root));
    const again = growing[Symbol.asyncIterator]();
    await again.next();
    appendFileSync(join(root, 'stream.bin'), 'tail');
    await expect((async () => { while (!(await again.next()).done); })()).rejects.toThrow(/^stream\.bin changed while packing: it grew/);
  });

  it('does not follow a file replaced by a symlink, nor hang on one replaced by a FIFO', async () => {
    tree({ 'swapped.txt': 'original', 'piped.txt': 'original' });
    const entries = entriesOf(root);
    unlinkSync(join(root, 'swapped.txt'));
    symlinkSync('/etc/passwd', join(root, 'swapped.txt'));
    await expect(pack(entries.filter((e) => e.path === 'swapped.txt'))).rejects.toMatchObject({
      code: 'CONTEXT_CHANGED',
      message: 'swapped.txt changed while packing: it is now a symbolic link',
    });
    unlinkSync(join(root, 'piped.txt'));
    execFileSync('mkfifo', [join(root, 'piped.txt')]);
    await expect(pack(entries.filter((e) => e.path === 'piped.txt'))).rejects.toMatchObject({
      code: 'CONTEXT_CHANGED',
      message: 'piped.txt changed while packing: it is no longer a regular file',
    });
  });

  it('rejects a file entry with neither source nor content', async () => {
    await expect(pack([{ path: 'x', type: 'file', mode: 0o644, size: 3, mtime: T }])).rejects.toMatchObject({
      code: 'CONTEXT_ENTRY_INVALID',
    });
  });

  describe('unreadable files (packing runs as an unprivileged user: root reads anything)', () => {
    let compiled: string;
    beforeAll(() => {
      // The child cannot import TypeScript, so compile the encoder (and what it imports) on its own.
      compiled = mkdtempSync(join(tmpdir(), 'pack-tar-child-'));
      execFileSync(
        process.execPath,
        [
          join(repoRoot, 'node_modules/typescript/bin/tsc'),
          '--outDir', compiled, '--rootDir', join(repoRoot, 'src'),
          '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
          '--skipLibCheck', '--types', 'node',
          join(repoRoot, 'src/context/tar-encoder.ts'),
        ],
        { cwd: repoRoot, stdio: 'pipe' },
      );
      writeFileSync(join(compiled, 'package.json'), '{"type":"module"}\n');
      writeFileSync(
        join(compiled, 'child.mjs'),
        `import { tarContext } from './context/tar-encoder.js';
const entries = JSON.parse(process.argv[2]);
try {
  for await (const chunk of tarContext(entries)) void chunk;
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message, hint: error.hint }));
}
`,
      );
      execFileSync('chmod', ['-R', 'a+rX', compiled]);
    }, 120_000);
    afterAll(() => {
      rmSync(compiled, { recursive: true, force: true });
    });

    function packAsNobody(entries: ContextEntry[]): unknown {
      const asRoot = process.getuid?.() === 0;
      const command = asRoot ? 'setpriv' : process.execPath;
      const args = [
        ...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []),
        join(compiled, 'child.mjs'),
        JSON.stringify(entries),
      ];
      const run = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as unknown;
    }

    it('fails with CONTEXT_UNREADABLE naming the path, for small and streamed files', () => {
      chmodSync(root, 0o755);
      tree({ 'src/app.js': 'ok', 'src/secret.key': 'secret', 'big/secret.bin': Buffer.alloc(SMALL_FILE_MAX + 1) });
      chmodSync(join(root, 'src/secret.key'), 0o000);
      chmodSync(join(root, 'big/secret.bin'), 0o000);
      const entries = entriesOf(root);
      expect(packAsNobody(entries.filter((e) => !e.path.startsWith('big')))).toEqual({
        name: 'PackError',
        code: 'CONTEXT_UNREADABLE',
        message: 'cannot read src/secret.key: permission denied',
        hint: 'make it readable by the user running pack, or exclude it in .dockerignore',
      });
      expect(packAsNobody(entries.filter((e) => e.path.startsWith('big')))).toMatchObject({
        code: 'CONTEXT_UNREADABLE',
        message: 'cannot read big/secret.bin: permission denied',
      });
      // The same tree is fine once the secrets are out of the list.
      expect(packAsNobody(entries.filter((e) => !e.path.includes('secret')))).toEqual({ ok: true });
    });
  });
});

/** Paths this process has open (Linux /proc). */
function openPaths(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

describe('streaming, backpressure and abort', () => {
  it('stops reading while nobody consumes: no more than the stream buffer and one chunk in memory', async () => {
    const path = join(root, 'large.bin');
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.alloc(1), 0, 1, 64 * 1024 * 1024 - 1); // 64 MiB, sparse
    closeSync(fd);
    const stream = tarContext(entriesOf(root));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.readableLength).toBeLessThanOrEqual(stream.readableHighWaterMark + 1024 * 1024);
    stream.destroy();
  });

  it('aborting mid-stream destroys it with an AbortError and closes the file it was reading', async () => {
    const path = join(root, 'large.bin');
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.alloc(1), 0, 1, 256 * 1024 * 1024 - 1);
    closeSync(fd);
    const controller = new AbortController();
    const stream = tarContext(entriesOf(root), { signal: controller.signal });
    const closed = new Promise((resolve) => stream.once('close', resolve));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(openPaths()).toContain(path);
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
    await closed;
    expect(stream.errored).toMatchObject({ name: 'AbortError' });
    expect(openPaths()).not.toContain(path);
  });

  it('an already aborted signal destroys the stream before anything is read', async () => {
    tree({ 'a.txt': 'a' });
    const controller = new AbortController();
    controller.abort();
    await expect(collect(tarContext(entriesOf(root), { signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('gives the event loop turns while synchronous work goes on (signals and progress stay live)', async () => {
    tree({ 'f.txt': 'x' });
    const [entry] = entriesOf(root);
    // 200 members that each take 1 ms of synchronous work (a slow disk), all well under the buffer.
    function* slowly(): Generator<ContextEntry> {
      for (let i = 0; i < 200; i++) {
        const until = performance.now() + 1;
        while (performance.now() < until);
        yield { ...(entry as ContextEntry), path: `f${String(i).padStart(3, '0')}.txt` };
      }
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    try {
      await collect(tarContext(slowly()));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('streams a 2 GB sparse file with bounded memory', async () => {
    const path = join(root, 'sparse.bin');
    const size = 2 * 1024 ** 3;
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.from('end'), 0, 3, size - 3);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    let peak = before;
    let bytes = 0;
    let last: Buffer | undefined;
    const events: PackEvent[] = [];
    for await (const chunk of tarContext(entriesOf(root), { emit: (event) => events.push(event) })) {
      bytes += (chunk as Buffer).length;
      last = chunk as Buffer;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(bytes).toBe(512 + size + 1024);
    expect(last?.subarray(last.length - 1024).every((byte) => byte === 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'context.done', files: 1, bytes, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  }, 120_000);
});

describe('PackError shape', () => {
  it('is a PackError with exit code 1', async () => {
    tree({ 'gone.txt': 'g' });
    const entries = entriesOf(root);
    unlinkSync(join(root, 'gone.txt'));
    const error = await pack(entries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackError);
    expect((error as PackError).exitCode).toBe(1);
  });
});
