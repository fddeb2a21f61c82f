/**
 * Differential test of the context engine against the real docker CLI (legacy builder,
 * DOCKER_BUILDKIT=0), which packs the context itself: on curated and seeded random trees, pack's
 * legacy-mode tar must hold exactly the CLI's members, in the CLI's order, with the same headers
 * and content — and, where no Dockerfile is injected, the very same bytes.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareContext } from '../../src/context/prepare.js';
import { tarContext } from '../../src/context/tar-encoder.js';
import { captureDockerCliContext, dockerCliVersion } from '../support/docker-cli-oracle.js';
import { readTarEntries, type TarEntry } from '../support/tar-read.js';

const cliVersion = await dockerCliVersion();
const required = process.env.PACK_REQUIRE_ENGINE === '1' || process.env.CI === 'true';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

type Node = { kind: 'file'; content: string; mode: number } | { kind: 'dir'; mode: number } | { kind: 'symlink'; target: string } | { kind: 'hardlink'; to: string } | { kind: 'fifo' };

interface Case {
  name: string;
  tree: Record<string, Node>;
  dockerignore?: string;
  /** -f relative to the test root (the context is <root>/ctx). */
  dockerfile?: string;
}

const file = (content = 'x', mode = 0o644): Node => ({ kind: 'file', content, mode });

function materialize(c: Case): { root: string; ctx: string } {
  const root = mkdtempSync(join(tmpdir(), 'pack-diff-'));
  roots.push(root);
  const ctx = join(root, 'ctx');
  mkdirSync(ctx);
  const entries = Object.entries(c.tree);
  // Directories and files first, links after their targets exist.
  for (const [path, node] of entries) {
    const full = join(path.startsWith('../') ? root : ctx, path.replace(/^\.\.\//, ''));
    mkdirSync(dirname(full), { recursive: true });
    if (node.kind === 'dir') mkdirSync(full, { recursive: true });
    else if (node.kind === 'file') writeFileSync(full, node.content);
    else if (node.kind === 'fifo') execFileSync('mkfifo', [full]);
  }
  for (const [path, node] of entries) {
    const full = join(ctx, path);
    if (node.kind === 'symlink') symlinkSync(node.target, full);
    else if (node.kind === 'hardlink') linkSync(join(ctx, node.to), full);
  }
  if (c.dockerignore !== undefined) writeFileSync(join(ctx, '.dockerignore'), c.dockerignore);
  // Modes last (a 0o500 directory would refuse the files above), deepest first.
  for (const [path, node] of entries.sort(([a], [b]) => b.length - a.length)) {
    if (node.kind === 'file' || node.kind === 'dir') chmodSync(join(path.startsWith('../') ? root : ctx, path.replace(/^\.\.\//, '')), node.mode);
  }
  return { root, ctx };
}

const comparable = (e: TarEntry) => ({
  path: e.path,
  type: e.type,
  mode: e.mode.toString(8),
  size: e.size,
  sha256: e.sha256,
  linkname: e.linkname,
  uid: e.uid,
  gid: e.gid,
  uname: e.uname,
  gname: e.gname,
  mtime: e.mtime,
});

const CURATED: Case[] = [
  {
    name: 'plain project with node_modules and .git excluded',
    dockerignore: 'node_modules\n.git\n*.log\n',
    tree: {
      Dockerfile: file('FROM scratch\nCOPY . /\n'),
      'src/index.js': file('console.log(1)\n'),
      'src/lib/util.js': file('x'),
      'node_modules/a/index.js': file(),
      '.git/HEAD': file('ref\n'),
      'debug.log': file(),
      'package.json': file('{}'),
    },
  },
  {
    name: 'exceptions, pruning and the parent-result rule',
    dockerignore: '*\n!src\n!**/*.py\ndocs\n!docs/keep.md\na/b\n!a\n',
    tree: {
      Dockerfile: file(),
      'src/main.py': file(),
      'src/x.txt': file(),
      'top.py': file(),
      'sub/deep.py': file(),
      'docs/keep.md': file(),
      'docs/drop.md': file(),
      'a/b': file(),
      'a/c': file(),
    },
  },
  {
    name: 'excluded Dockerfile and .dockerignore are still sent',
    dockerignore: 'Dockerfile\n.dockerignore\n*.txt\n',
    tree: { Dockerfile: file(), 'a.txt': file(), 'b.md': file() },
  },
  {
    name: 'modes, links, FIFOs, empty and odd directories',
    tree: {
      Dockerfile: file(),
      'bin/run': file('#!/bin/sh\n', 0o755),
      'bin/suid': file('', 0o4755),
      'bin/sgid': file('', 0o2711),
      'ro.txt': file('', 0o444),
      'secret': file('', 0o600),
      'empty': { kind: 'dir', mode: 0o755 },
      'sticky': { kind: 'dir', mode: 0o1777 },
      'closed/f': file(),
      'closed': { kind: 'dir', mode: 0o700 },
      'link-rel': { kind: 'symlink', target: 'bin/run' },
      'link-abs': { kind: 'symlink', target: '/etc/passwd' },
      'link-dangling': { kind: 'symlink', target: 'nope/nothing' },
      'link-dir': { kind: 'symlink', target: 'bin' },
      'hard-a': file('same inode'),
      'z/hard-b': { kind: 'hardlink', to: 'hard-a' },
      pipe: { kind: 'fifo' },
    },
  },
  {
    name: 'long, non-ASCII and spaced names; order of a, a.txt, a/',
    tree: {
      Dockerfile: file(),
      [`${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(80)}.txt`]: file(),
      [`${'n'.repeat(120)}.txt`]: file(),
      'ünïcødé/日本語.txt': file('utf-8'),
      'with space/and tab\t.txt': file(),
      'a/x': file(),
      'a.txt': file(),
      'a-b': file(),
      A: file(),
      'link-ü': { kind: 'symlink', target: 'ünïcødé/日本語.txt' },
    },
  },
  {
    name: 'comments, whitespace, cleaning, escapes and classes',
    dockerignore: '\ufeff# comment\n  #not-a-comment\n./b.txt  \r\n/c.txt\nd/\n\\*.md\n[!a]*.js\n**/*.tmp\nx/**\n!x/keep\n',
    tree: {
      Dockerfile: file(),
      '#not-a-comment': file(),
      'b.txt': file(),
      'c.txt': file(),
      'd/inner': file(),
      '*.md': file(),
      'README.md': file(),
      'a.js': file(),
      'b.js': file(),
      'deep/er/file.tmp': file(),
      'x/keep': file(),
      'x/drop': file(),
    },
  },
  {
    name: 'Dockerfile in a subdirectory given with -f',
    dockerignore: 'docker/*.md\n',
    dockerfile: 'ctx/docker/app/Dockerfile',
    tree: { 'docker/app/Dockerfile': file('FROM scratch\n'), 'docker/README.md': file(), 'src/a': file() },
  },
];

/** A seeded tree generator: random names, depths, modes, links and .dockerignore lines. */
function randomCase(seed: number): Case {
  let state = seed * 2654435761;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const names = ['a', 'b', 'src', 'lib', 'node_modules', 'build', 'docs', '.git', 'test', 'x.py', 'y.js', 'README.md', 'a.txt', 'b.log', 'sub', 'é', 'keep.md', 'a.b', 'Z'];
  const tree: Record<string, Node> = { Dockerfile: file('FROM scratch\n') };
  const dirs = [''];
  for (let i = 0; i < 25; i += 1) {
    const parent = pick(dirs);
    const path = parent === '' ? pick(names) : `${parent}/${pick(names)}`;
    if (tree[path] || Object.keys(tree).some((p) => p.startsWith(`${path}/`) || path.startsWith(`${p}/`) && tree[p]?.kind !== 'dir')) continue;
    const roll = random();
    if (roll < 0.3 && path.split('/').length < 4) {
      tree[path] = { kind: 'dir', mode: pick([0o755, 0o755, 0o700, 0o1777]) };
      dirs.push(path);
    } else if (roll < 0.85) tree[path] = file(`content ${i}\n`.repeat(Math.floor(random() * 50)), pick([0o644, 0o644, 0o755, 0o600, 0o444, 0o4755]));
    else tree[path] = { kind: 'symlink', target: pick(['a', '../b', '/abs/path', 'src/x.py']) };
  }
  const pool = ['node_modules', '**/node_modules', '*.log', 'build', 'docs/**', '!docs/keep.md', '*', '!src', '!**/*.py', 'sub/*', '!sub/a.txt', '.git', 'a*', '!a.txt', '**/*.txt', 'lib/', '# comment', '  spaced  ', './b.log', '/docs', 'src/**/x.py', '?.txt', '[ab].js', '[!a]*', '!*/keep.md', 'Dockerfile', '**/Z', '!**/a'];
  const lines = Array.from({ length: Math.floor(random() * 6) }, () => pick(pool));
  return { name: `random tree #${seed} (${lines.join(' | ') || 'no .dockerignore'})`, tree, ...(lines.length ? { dockerignore: `${lines.join('\n')}\n` } : {}) };
}

const CASES = [...CURATED, ...Array.from({ length: 40 }, (_, i) => randomCase(i + 1))];

const describeWithCli = cliVersion !== undefined ? describe : required ? describe : describe.skip;
if (cliVersion === undefined && !required) {
  console.warn('\n!!! CONTEXT DIFFERENTIAL TEST SKIPPED: no docker CLI on PATH (set PACK_DOCKER_CLI) !!!\n');
}

describeWithCli(`pack legacy context = docker CLI ${cliVersion ?? '(missing)'} context`, () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(cliVersion, 'docker CLI required in CI').toBeDefined();
    const { root, ctx } = materialize(c);
    const dockerfile = c.dockerfile ? join(root, c.dockerfile) : undefined;
    const capture = await captureDockerCliContext(ctx, { ...(dockerfile ? { dockerfile } : {}), outDir: mkdtempSync(join(root, 'cli-')) });
    const prepared = prepareContext({ contextDir: ctx, mode: 'legacy', ...(dockerfile ? { dockerfile } : {}) });
    if (capture.exitCode !== 0) {
      // The CLI fails when its own walker prunes the Dockerfile; pack sends it injected instead.
      expect(capture.stderr).toMatch(/Cannot locate specified Dockerfile/);
      expect(prepared.dockerfile.injectedBecause).toBe('excluded-directory');
      return;
    }
    const cliTar = readFileSync(capture.tarPath as string);
    const packTar = await buffer(tarContext(prepared.entries()));
    const cliEntries = (await readTarEntries(cliTar, { allowMissingTrailer: true })).map(comparable);
    const packEntries = (await readTarEntries(packTar)).map(comparable);
    expect(cliEntries.map((e) => e.path)).toContain(prepared.dockerfile.injected ? cliEntries.at(-1)?.path : prepared.dockerfile.nameInContext);
    if (prepared.dockerfile.injected) {
      // The CLI names the injected Dockerfile randomly (and stamps it with the current time).
      const rename = (e: ReturnType<typeof comparable>) =>
        e.path.startsWith('.dockerfile.') ? { ...e, path: '.dockerfile.*', mtime: 0 } : e.path === '.dockerignore' ? { ...e, sha256: '*', size: 0 } : e;
      expect(packEntries.map(rename)).toEqual(cliEntries.map(rename));
      expect(capture.query.get('dockerfile')).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
      return;
    }
    expect(packEntries).toEqual(cliEntries);
    expect(capture.query.get('dockerfile')).toBe(prepared.dockerfile.nameInContext);
    // Same members, same headers: the bytes should be the same too.
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(packTar)).toBe(sha(cliTar));
  });
});
