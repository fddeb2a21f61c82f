/**
 * `pack tags` and the tag set in `pack plan`, as users run them: the built binary in temp git
 * repositories. No engine, no registry.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTree } from '../support/tree.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let root: string;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  root = await mkdtemp(join(tmpdir(), 'pack-cli-tags-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function pack(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function repo(name: string, files: Record<string, string>, tag?: string): Promise<{ dir: string; short: string }> {
  const dir = writeTree(join(root, name), files);
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  if (tag !== undefined) git('tag', tag);
  return { dir, short: git('rev-parse', '--short=7', 'HEAD') };
}

describe('pack tags', () => {
  it('prints the version, each tag with its reason, and what was left out', async () => {
    const { dir, short } = await repo('release', { 'package.json': '{"name":"a","version":"1.4.1"}\n' }, 'v1.4.2');
    const run = await pack(['tags', '--repository', 'ghcr.io/me/app'], dir);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Version 1.4.2  (git tag v1.4.2 on HEAD)');
    expect(lines.slice(2, 7).map((line) => line.trim().split(/\s+/)[0])).toEqual([
      'ghcr.io/me/app:1.4.2',
      `ghcr.io/me/app:sha-${short}`,
      'ghcr.io/me/app:1.4',
      'ghcr.io/me/app:1',
      'ghcr.io/me/app:latest',
    ]);
    expect(run.stderr).toBe('warning: package.json "version" says 1.4.1 but HEAD is tagged v1.4.2; using the git tag\n');
  });

  it('--version with a pre-release, --json', async () => {
    const { dir, short } = await repo('rc', { 'README.md': 'x\n' });
    const run = await pack(['tags', '--version', 'v2.0.0-rc.1', '--json'], dir);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { schemaVersion: number; version: { value: string }; tags: { tag: string }[]; skipped: { kind: string }[] };
    expect(document.schemaVersion).toBe(1);
    expect(document.version.value).toBe('2.0.0-rc.1');
    expect(document.tags.map((t) => t.tag)).toEqual(['2.0.0-rc.1', `sha-${short}`]);
    expect(document.skipped.map((s) => s.kind)).toEqual(['minor', 'major', 'latest']);
  });

  it('a dirty tree: sha-…-dirty only, with the warning', async () => {
    const { dir, short } = await repo('dirty', { 'package.json': '{"version":"3.0.0"}\n' }, 'v3.0.0');
    await writeFile(join(dir, 'package.json'), '{"version":"3.0.0","x":1}\n');
    const run = await pack(['tags', '--no-latest'], dir);
    expect(run.stdout).toContain(`  sha-${short}-dirty  commit ${short} with uncommitted changes`);
    expect(run.stderr).toContain('warning: uncommitted changes to tracked files: no release tags');
    expect(run.stdout).toContain('  latest   --no-latest');
  });

  it('bad flags are usage errors (exit 2) naming the flag', async () => {
    const { dir } = await repo('bad', { a: '1' });
    const scheme = await pack(['tags', '--tag-scheme', 'weekly'], dir);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr.split('\n')[0]).toBe('pack: --tag-scheme "weekly": unknown "weekly"');
    const repository = await pack(['tags', '--repository', 'ghcr.io/me/app:1'], dir);
    expect(repository.code).toBe(2);
    expect(repository.stderr.split('\n')[0]).toBe('pack: --repository "ghcr.io/me/app:1": "ghcr.io/me/app:1" names a tag or digest; give the repository only');
  });

  it('pack --version still prints pack\'s own version; a command\'s --version is its own', async () => {
    const { dir } = await repo('versions', { a: '1' });
    expect((await pack(['--version'], dir)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await pack(['tags', '--version', '9.9.9'], dir)).stdout.split('\n')[0]).toBe('Version 9.9.9  (--version 9.9.9)');
  });

  it('pack plan shows the version and the tag set (text, and under "tags" with --json)', async () => {
    const { dir } = await repo('plan', { 'package.json': '{"name":"p","version":"0.3.1","scripts":{"start":"node index.js"}}\n', 'index.js': '\n' });
    const text = await pack(['plan'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\nVersion 0.3.1  (package.json "version" (no version tag on HEAD))\nTags (scheme semver):\n');
    const json = JSON.parse((await pack(['plan', '--json', '--repository', 'r.example/p'], dir)).stdout) as { tags: { tags: { reference: string }[] } };
    expect(json.tags.tags.map((t) => t.reference)).toEqual(['r.example/p:0.3.1', expect.stringMatching(/^r\.example\/p:sha-/), 'r.example/p:0.3', 'r.example/p:latest']);
  });
});
