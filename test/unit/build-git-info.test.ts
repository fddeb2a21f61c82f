import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGitInfo } from '../../src/build/git-info.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-git-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();

describe('readGitInfo', () => {
  it('reads the commit, the origin without credentials, and whether tracked files changed', async () => {
    git('init', '-q');
    await writeFile(join(dir, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'first');
    git('remote', 'add', 'origin', 'https://someone:s3cret-token@git.example.com/team/app.git');
    const commit = git('rev-parse', 'HEAD');
    expect(await readGitInfo(dir)).toEqual({ commit, remote: 'https://git.example.com/team/app.git', dirty: false });
    // Untracked files do not make the tree dirty; an edit to a tracked one does.
    await writeFile(join(dir, 'new.txt'), 'x\n');
    expect((await readGitInfo(dir))?.dirty).toBe(false);
    await writeFile(join(dir, 'a.txt'), 'two\n');
    expect((await readGitInfo(dir))?.dirty).toBe(true);
  });

  it('says nothing for a directory that is not in a repository', async () => {
    // A fresh temp dir under the OS temp directory has no repository above it.
    expect(await readGitInfo(dir)).toBeUndefined();
  });
});
