import { chmodSync, linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareContext, type ContextRequest } from '../../src/context/prepare.js';
import { judgePath } from '../../src/context/walk.js';
import { PackError, UsageError } from '../../src/errors.js';
import type { PackEvent } from '../../src/progress/events.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pack-walk-'));
});
afterEach(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

const tree = (files: TreeFiles): string => writeTree(root, files);

function paths(request: Partial<ContextRequest> = {}): string[] {
  const context = prepareContext({ contextDir: root, mode: 'buildkit', ...request });
  return [...context.entries()].map((e) => (e.type === 'dir' ? `${e.path}/` : e.path));
}

describe('walk order', () => {
  it('is depth-first with each directory sorted bytewise (a, a/x, a.txt — not full-path order)', () => {
    tree({ Dockerfile: 'FROM scratch\n', 'a/x': '', 'a.txt': '', B: '', 'b/y': '', 'é.txt': '', 'z.txt': '' });
    expect(paths()).toEqual(['B', 'Dockerfile', 'a/', 'a/x', 'a.txt', 'b/', 'b/y', 'z.txt', 'é.txt']);
  });

  it('keeps empty directories and never follows symlinks', () => {
    tree({ Dockerfile: '', 'empty/': '', 'real/f': 'data' });
    symlinkSync('real', join(root, 'link'));
    symlinkSync('/nonexistent/target', join(root, 'dangling'));
    const context = prepareContext({ contextDir: root, mode: 'buildkit' });
    const entries = [...context.entries()];
    expect(entries.map((e) => `${e.type}:${e.path}`)).toEqual([
      'file:Dockerfile',
      'symlink:dangling',
      'dir:empty',
      'symlink:link',
      'dir:real',
      'file:real/f',
    ]);
    expect(entries.find((e) => e.path === 'link')?.linkname).toBe('real');
    expect(entries.find((e) => e.path === 'dangling')?.linkname).toBe('/nonexistent/target');
  });

  it('stores the second name of a hard-linked file as a link to the first', () => {
    tree({ Dockerfile: '', 'a/first': 'same inode' });
    linkSync(join(root, 'a/first'), join(root, 'b-second'));
    const entries = [...prepareContext({ contextDir: root, mode: 'legacy' }).entries()];
    const first = entries.find((e) => e.path === 'a/first');
    const second = entries.find((e) => e.path === 'b-second');
    expect(first?.type).toBe('file');
    expect(second).toMatchObject({ type: 'hardlink', linkname: 'a/first', size: 0 });
    expect(entries.indexOf(first!)).toBeLessThan(entries.indexOf(second!));
  });

  it('keeps permission bits including setuid, setgid and sticky', () => {
    tree({ Dockerfile: '', 'run.sh': '#!/bin/sh\n', 'shared/': '' });
    chmodSync(join(root, 'run.sh'), 0o4755);
    chmodSync(join(root, 'shared'), 0o3777);
    const entries = [...prepareContext({ contextDir: root, mode: 'buildkit' }).entries()];
    expect(entries.find((e) => e.path === 'run.sh')?.mode).toBe(0o4755);
    expect(entries.find((e) => e.path === 'shared')?.mode).toBe(0o3777);
  });

  it('sends FIFOs and skips sockets with a warning', async () => {
    tree({ Dockerfile: '' });
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    try {
      const events: PackEvent[] = [];
      const entries = [...prepareContext({ contextDir: root, mode: 'buildkit' }).entries({ emit: (e) => events.push(e) })];
      expect(entries.map((e) => `${e.type}:${e.path}`)).toEqual(['file:Dockerfile', 'fifo:pipe']);
      expect(events).toEqual([expect.objectContaining({ type: 'warning', code: 'context.special-file-skipped', path: 'sock' })]);
    } finally {
      server.close();
    }
  });
});

describe('walkers differ where Docker’s do', () => {
  beforeEach(() => {
    tree({
      Dockerfile: '',
      '.dockerignore': '*\n!**/*.py\n',
      'top.py': '',
      'sub/deep/a.py': '',
      'sub/deep/a.txt': '',
    });
  });

  it('buildkit re-includes below excluded directories and emits their headers', () => {
    expect(paths({ mode: 'buildkit' })).toEqual(['.dockerignore', 'Dockerfile', 'sub/', 'sub/deep/', 'sub/deep/a.py', 'top.py']);
  });

  it('legacy prunes directories no exception names', () => {
    expect(paths({ mode: 'legacy' })).toEqual(['.dockerignore', 'Dockerfile', 'top.py']);
  });

  it('legacy enters a directory an exception names but sends no header for it; buildkit sends headers', () => {
    writeFileSync(join(root, '.dockerignore'), 'sub\n!sub/deep/a.py\n');
    expect(paths({ mode: 'legacy' })).toEqual(['.dockerignore', 'Dockerfile', 'sub/deep/a.py', 'top.py']);
    expect(paths({ mode: 'buildkit' })).toEqual(['.dockerignore', 'Dockerfile', 'sub/', 'sub/deep/', 'sub/deep/a.py', 'top.py']);
  });

  it('judgePath explains pruning and the deciding line', () => {
    const context = prepareContext({ contextDir: root, mode: 'legacy' });
    const verdict = judgePath('sub/deep/a.py', { matcher: context.matcher, mode: 'legacy', isDir: false });
    expect(verdict).toMatchObject({ sent: false, prunedAt: 'sub' });
    expect(verdict.decidedBy?.source).toEqual({ file: '.dockerignore', line: 1 });
    const bk = judgePath('sub/deep/a.py', { matcher: context.matcher, mode: 'buildkit', isDir: false });
    expect(bk).toMatchObject({ sent: true, prunedAt: undefined });
    expect(bk.decidedBy?.source).toEqual({ file: '.dockerignore', line: 2 });
  });
});

describe('always-sent files', () => {
  it('sends an excluded Dockerfile and .dockerignore in place (the daemon removes them)', () => {
    tree({ Dockerfile: '', '.dockerignore': 'Dockerfile\n.dockerignore\n*.txt\n', 'a.txt': '', 'b.md': '' });
    for (const mode of ['legacy', 'buildkit'] as const) {
      const context = prepareContext({ contextDir: root, mode });
      expect(context.dockerfile).toMatchObject({ nameInContext: 'Dockerfile', injected: false });
      expect(paths({ mode })).toEqual(['.dockerignore', 'Dockerfile', 'b.md']);
    }
  });

  it('legacy appends the CLI’s exceptions; buildkit forces instead', () => {
    tree({ Dockerfile: '', '.dockerignore': '*\n' });
    const legacy = prepareContext({ contextDir: root, mode: 'legacy' });
    expect(legacy.matcher.patterns.map((p) => p.text)).toEqual(['*', '!.dockerignore', '!Dockerfile']);
    const buildkit = prepareContext({ contextDir: root, mode: 'buildkit' });
    expect(buildkit.matcher.patterns.map((p) => p.text)).toEqual(['*']);
    expect([...buildkit.forceInclude].sort()).toEqual(['.dockerignore', 'Dockerfile']);
  });

  it('injects a Dockerfile from outside the context under a content-derived name and lists it in .dockerignore', () => {
    tree({ 'ctx/app.js': '', 'ctx/.dockerignore': 'secret\n', 'build/Dockerfile': 'FROM scratch\nCOPY . /\n' });
    const contextDir = join(root, 'ctx');
    for (const mode of ['legacy', 'buildkit'] as const) {
      const context = prepareContext({ contextDir, mode, dockerfile: join(root, 'build/Dockerfile') });
      expect(context.dockerfile.injected).toBe(true);
      expect(context.dockerfile.nameInContext).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
      const entries = [...context.entries()];
      expect(entries.map((e) => e.path)).toEqual(['.dockerignore', 'app.js', context.dockerfile.nameInContext]);
      expect(entries[0]?.content?.toString()).toBe(`secret\n\n${context.dockerfile.nameInContext}\n`);
      expect(entries[2]?.content?.toString()).toBe('FROM scratch\nCOPY . /\n');
      expect(entries[2]?.mode).toBe(0o600);
    }
  });

  it('synthesizes .dockerignore for a generated Dockerfile when the project has none', () => {
    tree({ 'app.py': '' });
    const content = Buffer.from('FROM scratch\n');
    const context = prepareContext({ contextDir: root, mode: 'buildkit', dockerfileContent: content, sourceDateEpoch: 1700000000 });
    const entries = [...context.entries()];
    const name = context.dockerfile.nameInContext;
    expect(entries.map((e) => e.path)).toEqual(['app.py', name, '.dockerignore']);
    expect(entries[2]?.content?.toString()).toBe(`.dockerignore\n${name}\n`);
    expect(entries[1]?.mtime).toBe(1700000000);
    // Same content, same name: the tar stays deterministic.
    expect(prepareContext({ contextDir: root, mode: 'legacy', dockerfileContent: content }).dockerfile.nameInContext).toBe(name);
  });

  it('injects a Dockerfile that sits in a directory the walker will not enter', () => {
    tree({ 'docker/app/Dockerfile': 'FROM scratch\n', '.dockerignore': 'docker\n', 'x': '' });
    for (const mode of ['legacy', 'buildkit'] as const) {
      const context = prepareContext({ contextDir: root, mode, dockerfile: join(root, 'docker/app/Dockerfile') });
      if (mode === 'legacy') {
        // The CLI appends !docker/app/Dockerfile, which makes its walker enter docker/.
        expect(context.dockerfile).toMatchObject({ injected: false, nameInContext: 'docker/app/Dockerfile' });
        expect(paths({ mode, dockerfile: join(root, 'docker/app/Dockerfile') })).toEqual(['.dockerignore', 'docker/app/Dockerfile', 'x']);
      } else {
        expect(context.dockerfile).toMatchObject({ injected: true, injectedBecause: 'excluded-directory' });
      }
    }
  });

  it('uses <Dockerfile>.dockerignore next to the Dockerfile in buildkit mode only', () => {
    tree({ 'app.Dockerfile': '', 'app.Dockerfile.dockerignore': 'a.txt\n', '.dockerignore': 'b.txt\n', 'a.txt': '', 'b.txt': '' });
    const dockerfile = join(root, 'app.Dockerfile');
    const bk = prepareContext({ contextDir: root, mode: 'buildkit', dockerfile });
    expect(bk.ignoreFile?.name).toBe('app.Dockerfile.dockerignore');
    expect(paths({ mode: 'buildkit', dockerfile })).not.toContain('a.txt');
    expect(paths({ mode: 'buildkit', dockerfile })).toContain('b.txt');
    const legacy = prepareContext({ contextDir: root, mode: 'legacy', dockerfile });
    expect(legacy.ignoreFile?.name).toBe('.dockerignore');
    expect(paths({ mode: 'legacy', dockerfile })).toContain('a.txt');
  });

  it('falls back to a lowercase dockerfile like the docker CLI', () => {
    tree({ dockerfile: 'FROM scratch\n' });
    expect(prepareContext({ contextDir: root, mode: 'buildkit' }).dockerfile.nameInContext).toBe('dockerfile');
  });
});

describe('errors', () => {
  it('a bad pattern names the file and line', () => {
    tree({ Dockerfile: '', '.dockerignore': '# comment\n\nok\n[\n' });
    const attempt = () => prepareContext({ contextDir: root, mode: 'buildkit' });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/^\.dockerignore:4: syntax error in pattern/);
  });

  it('a lone ! is refused with Docker’s message', () => {
    tree({ Dockerfile: '', '.dockerignore': 'a\n!\n' });
    expect(() => prepareContext({ contextDir: root, mode: 'legacy' })).toThrow('.dockerignore:2: illegal exclusion pattern: "!"');
  });

  it('an invalid class range found only by the regexp is reported before walking', () => {
    tree({ Dockerfile: '', '.dockerignore': '[z-a]\n' });
    expect(() => prepareContext({ contextDir: root, mode: 'buildkit' })).toThrow(/\.dockerignore:1: syntax error in pattern/);
  });

  it('a missing context or Dockerfile is a usage error', () => {
    expect(() => prepareContext({ contextDir: join(root, 'nope'), mode: 'buildkit' })).toThrow(/does not exist/);
    expect(() => prepareContext({ contextDir: root, mode: 'buildkit' })).toThrow(/Dockerfile not found/);
    writeFileSync(join(root, 'file'), '');
    expect(() => prepareContext({ contextDir: join(root, 'file'), mode: 'buildkit' })).toThrow(/is not a directory/);
  });

  it('an unreadable directory that would be sent is named; an excluded one is fine', () => {
    if (process.getuid?.() === 0) {
      // root reads everything; the CLI tests cover this as an unprivileged user.
      expect(readFileSync('/etc/hostname').length).toBeGreaterThanOrEqual(0);
      return;
    }
    tree({ Dockerfile: '', 'locked/f': '' });
    chmodSync(join(root, 'locked'), 0o000);
    expect(() => paths()).toThrow(PackError);
  });
});
