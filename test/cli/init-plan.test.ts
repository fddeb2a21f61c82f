/**
 * `pack plan` with the project plan (the part issue 4 adds): the built binary spawned on fixture
 * copies. The context summary itself is tested with the context engine.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runPack, type PackRun } from '../support/run-pack.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'pack-cli-plan-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function pack(args: string[]): Promise<PackRun> {
  return runPack(args, { cwd: root, home: root });
}

async function copyFixture(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

describe('pack plan: the project plan', () => {
  it('prints the decisions and the generated Dockerfile after the context summary', async () => {
    const dir = await copyFixture('go-service');
    const result = await pack(['plan', dir]);
    expect(result.code).toBe(0);
    const project = result.stdout.indexOf('\nProject (the project root, go)\n');
    expect(project).toBeGreaterThan(0);
    expect(result.stdout.slice(project)).toContain('Dockerfile: generated from templates/go.Dockerfile (pack init writes it to Dockerfile)');
    expect(result.stdout).toContain('  | RUN go mod download\n');
  });

  it('--json puts the versioned plan under "project", identical on every run', async () => {
    const dir = await copyFixture('python-poetry');
    const first = await pack(['plan', dir, '--json', '--python', '3.11']);
    expect(first.code).toBe(0);
    const document = JSON.parse(first.stdout) as { project: { schemaVersion: number; dockerfile: { source: string }; decisions: Array<{ key: string; value: unknown; source: string }> } };
    expect(document.project.schemaVersion).toBe(1);
    expect(document.project.dockerfile.source).toBe('generated');
    expect(document.project.decisions.find((d) => d.key === 'runtime')).toMatchObject({ value: 'Python 3.11', source: 'flag' });
    const second = await pack(['plan', dir, '--json', '--python', '3.11']);
    expect(JSON.parse(second.stdout).project).toEqual(document.project);
  });

  it("uses the project's own Dockerfile when there is one", async () => {
    const dir = await copyFixture('node-own-dockerfile');
    const result = await pack(['plan', dir, '--json']);
    const document = JSON.parse(result.stdout) as { project: { dockerfile: { source: string; path: string }; build: { labelArgs: unknown[] } } };
    expect(document.project.dockerfile).toMatchObject({ source: 'project', path: 'Dockerfile' });
    expect(document.project.build.labelArgs).toEqual([]);
  });

  it('a bad override is a one-line usage error', async () => {
    const dir = await copyFixture('static-site');
    const result = await pack(['plan', dir, '--base', 'UPPER:case']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pack: --base: "UPPER:case" is not a valid image reference\nhint: /);
  });
});
