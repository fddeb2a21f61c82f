/**
 * Safe extraction of an archived context: a well-formed tar comes out exactly (modes, times,
 * links); every hostile tar is refused before anything is written outside, and the destination
 * is never left half-filled.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTar } from '../../src/archive/safe-extract.js';
import { chunked, tarOf, type TarSpec } from '../support/archive-fixtures.js';

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-archive-extract-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh destination inside a fresh parent, so that "nothing outside" can be checked. */
async function destination(): Promise<{ parent: string; dest: string }> {
  counter += 1;
  const parent = join(root, `case-${counter}`);
  await mkdir(parent);
  return { parent, dest: join(parent, 'out') };
}

function extract(entries: readonly TarSpec[], dest: string): ReturnType<typeof extractTar> {
  return extractTar(Readable.from(chunked(tarOf(entries), 700)), dest, { what: 'pack/context.tar' });
}

describe('extractTar', () => {
  it('unpacks files, directories, symlinks and hard links with their modes and times', async () => {
    const { dest } = await destination();
    const result = await extract(
      [
        { name: 'Dockerfile', data: 'FROM busybox:local\n', mtime: 1_600_000_000 },
        { name: 'bin/', type: 'dir', mode: 0o750, mtime: 1_600_000_100 },
        { name: 'bin/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o4755 },
        { name: 'bin/link', type: 'symlink', linkname: 'run.sh' },
        { name: 'outside-link', type: 'symlink', linkname: '/etc/hostname' },
        { name: 'hard', type: 'hardlink', linkname: 'bin/run.sh' },
        { name: 'deep/er/file.txt', data: 'implicit parents' },
      ],
      dest,
    );
    expect(result).toEqual({ directory: dest, files: 3, directories: 1, links: 3, skipped: 0 });
    expect(await readFile(join(dest, 'Dockerfile'), 'utf8')).toBe('FROM busybox:local\n');
    expect((await stat(join(dest, 'Dockerfile'))).mtimeMs).toBe(1_600_000_000_000);
    // setuid is not honoured; the permission bits are.
    expect((await stat(join(dest, 'bin/run.sh'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(dest, 'bin'))).mode & 0o777).toBe(0o750);
    expect((await stat(join(dest, 'bin'))).mtimeMs).toBe(1_600_000_100_000);
    expect(await readlink(join(dest, 'bin/link'))).toBe('run.sh');
    // A project's link may point anywhere: it is created, never followed.
    expect(await readlink(join(dest, 'outside-link'))).toBe('/etc/hostname');
    expect((await stat(join(dest, 'hard'))).ino).toBe((await stat(join(dest, 'bin/run.sh'))).ino);
    expect(await readFile(join(dest, 'deep/er/file.txt'), 'utf8')).toBe('implicit parents');
  });

  const hostile: [string, TarSpec[], RegExp][] = [
    ['a ../ member', [{ name: '../escape.txt', data: 'x' }], /refusing "\.\.\/escape\.txt": it has a "\.\." component/],
    ['an absolute member', [{ name: '/tmp/escape.txt', data: 'x' }], /it is an absolute path/],
    ['a file written through a symlink it created', [{ name: 'link', type: 'symlink', linkname: '..' }, { name: 'link/escape.txt', data: 'x' }], /it goes through link, which is a symlink/],
    ['a file written through a symlink to a directory', [{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/cron.d/x', data: 'x' }], /goes through etc, which is a symlink/],
    ['a hard link out', [{ name: 'hard', type: 'hardlink', linkname: '../../etc/passwd' }], /is a hard link that links to a name that has a "\.\." component/],
    ['a hard link to something never extracted', [{ name: 'hard', type: 'hardlink', linkname: 'etc/passwd' }], /is a hard link to etc\/passwd, which is not a file extracted before it/],
    ['a file replacing a symlink', [{ name: 'a', type: 'symlink', linkname: '/etc/passwd' }, { name: 'a', data: 'overwrite?' }], /repeats an earlier member/],
    ['a repeated file', [{ name: 'a', data: '1' }, { name: 'a', data: '2' }], /repeats an earlier member/],
  ];
  for (const [what, entries, reason] of hostile) {
    it(`refuses ${what}, leaving nothing behind`, async () => {
      const { parent, dest } = await destination();
      await expect(extract(entries, dest)).rejects.toThrow(reason);
      expect(await readdir(parent)).toEqual([]);
      expect(await readdir(root)).not.toContain('escape.txt');
    });
  }

  it('skips FIFOs and devices with a warning', async () => {
    const { dest } = await destination();
    const warnings: string[] = [];
    const result = await extractTar(Readable.from([tarOf([{ name: 'pipe', type: 'fifo' }, { name: 'a', data: 'a' }])]), dest, {
      emit: (event) => {
        if (event.type === 'warning') warnings.push(event.message);
      },
      what: 'pack/context.tar',
    });
    expect(result.skipped).toBe(1);
    expect(warnings).toEqual(['pack/context.tar: skipped pipe, a FIFO']);
  });

  it('accepts an empty destination directory, refuses a non-empty one or a file', async () => {
    const { parent, dest } = await destination();
    await mkdir(dest);
    await extract([{ name: 'a', data: 'a' }], dest);
    expect(await readdir(dest)).toEqual(['a']);
    await expect(extract([{ name: 'b', data: 'b' }], dest)).rejects.toThrow(/the directory is not empty/);
    await writeFile(join(parent, 'file'), 'x');
    await expect(extract([{ name: 'b', data: 'b' }], join(parent, 'file'))).rejects.toThrow(/exists and is not a directory/);
  });

  it('leaves no destination when the tar is truncated', async () => {
    const { parent, dest } = await destination();
    const tar = tarOf([{ name: 'a', data: 'x'.repeat(5000) }]);
    await expect(extractTar(Readable.from([tar.subarray(0, 3000)]), dest, { what: 'pack/context.tar' })).rejects.toThrow(/pack\/context\.tar is not a well-formed tar: truncated/);
    expect(await readdir(parent)).toEqual([]);
    await expect(lstat(dest)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
