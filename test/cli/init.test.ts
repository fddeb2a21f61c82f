/**
 * `pack init` as a user runs it: the built binary (dist/cli/main.js) spawned in temp dirs. It writes
 * the Dockerfile and .dockerignore, never overwrites (prints the diff --force would apply), reports
 * bad input in one line with exit code 2, and answers --json with what it detected and wrote.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runPack, unprivileged, type PackRun } from '../support/run-pack.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

let root: string;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'pack-cli-init-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function pack(args: string[], cwd: string): Promise<PackRun> {
  return runPack(args, { cwd, home: root });
}

let counter = 0;
async function copyFixture(name: string): Promise<string> {
  counter += 1;
  const dir = join(root, `${counter}-${name}`);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

describe('pack init', () => {
  it('writes the Dockerfile and .dockerignore, and prints what it detected and why', async () => {
    const dir = await copyFixture('node-npm');
    const result = await pack(['init', dir], root);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Project \(the project root, node\)\n/);
    expect(result.stdout).toContain('  runtime          Node.js 20\n                   .nvmrc "lts/iron": LTS "iron" → 20 (.nvmrc:1)\n');
    expect(result.stdout).toContain('Dockerfile: wrote\n.dockerignore: wrote\n');
    const dockerfile = await readFile(join(dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY package.json package-lock.json ./\nRUN npm ci --omit=dev');
    expect(await readFile(join(dir, '.dockerignore'), 'utf8')).toContain('**/node_modules\n');
    // No temporary files left behind.
    expect((await readdir(dir)).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('is byte-identical when run again (unchanged), and never overwrites: it prints the diff --force would apply', async () => {
    const dir = await copyFixture('node-npm');
    expect((await pack(['init'], dir)).code).toBe(0);
    const generated = await readFile(join(dir, 'Dockerfile'), 'utf8');
    const again = await pack(['init'], dir);
    expect(again.stdout).toContain('Dockerfile: unchanged\n.dockerignore: unchanged\n');

    const edited = generated.replace('USER 1000:1000', 'USER root');
    await writeFile(join(dir, 'Dockerfile'), edited);
    const kept = await pack(['init', '.'], dir);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('Dockerfile: kept (it exists; --force would apply the diff below)');
    expect(kept.stdout).toMatch(/--- a\/Dockerfile\n\+\+\+ b\/Dockerfile\n@@ -\d+,\d+ \+\d+,\d+ @@\n/);
    expect(kept.stdout).toContain('\n-USER root\n+USER 1000:1000\n');
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toBe(edited);

    const forced = await pack(['init', '--force'], dir);
    expect(forced.stdout).toContain('Dockerfile: overwrote (--force)');
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toBe(generated);
  });

  it('--json: one document with what was detected and what was written', async () => {
    const dir = await copyFixture('python-requirements');
    const result = await pack(['init', dir, '--json', '--port', '9000'], root);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as {
      schemaVersion: number;
      files: Array<{ path: string; action: string }>;
      project: { schemaVersion: number; ecosystem: string; decisions: Array<{ key: string; value: unknown; source: string }> };
    };
    expect(document.schemaVersion).toBe(1);
    expect(document.files).toEqual([
      { path: 'Dockerfile', action: 'created' },
      { path: '.dockerignore', action: 'created' },
    ]);
    expect(document.project.ecosystem).toBe('python');
    expect(document.project.decisions.find((d) => d.key === 'port')).toMatchObject({ value: 9000, source: 'flag' });
  });

  it('bad input: one line naming the flag, a hint, exit code 2, nothing written, no stack trace', async () => {
    const dir = await copyFixture('node-npm');
    const result = await pack(['init', dir, '--port', '70000'], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pack: --port: "70000" is not a port number (1-65535)\nhint: e.g. --port 8080\n');
    expect(result.stdout).toBe('');
    expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
  });

  it('an ambiguous project: the error lists the candidates and names the override; the override works', async () => {
    const dir = await copyFixture('python-monorepo');
    const failed = await pack(['init', dir], root);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toBe(
      [
        'pack: no manifest at the project root, and 2 projects below it; pack will not guess',
        'hint: choose with --app PATH, or "app" in pack.json. Candidates:',
        '  - services/billing (python: services/billing/requirements.txt)',
        '  - services/reports (python: services/reports/pyproject.toml)',
        '',
      ].join('\n'),
    );
    const chosen = await pack(['init', dir, '--app', 'services/reports'], root);
    expect(chosen.code).toBe(0);
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toContain('COPY services/reports/ .\n');
  });

  it('a broken manifest names the file and line', async () => {
    const dir = await copyFixture('node-npm');
    await writeFile(join(dir, 'package.json'), '{\n  "name": "x",\n}\n');
    const result = await pack(['init', dir], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pack: package\.json:3:1: invalid JSON \(.*\)\nhint: fix package\.json/);
  });

  it('a directory that does not exist', async () => {
    const missing = await pack(['init', join(root, 'nope')], root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pack: .*nope: not a directory\n/);
  });

  // Root writes anywhere, so the permission case runs pack as an unprivileged user (nobody) when
  // the tests run as root.
  it('a directory it cannot write to: one line naming the file, exit code 1', async () => {
    const dir = await copyFixture('static-site');
    await chmod(root, 0o755);
    await chmod(dir, 0o555);
    const denied = await runPack(['init', dir], unprivileged());
    await chmod(dir, 0o755);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^pack: cannot write Dockerfile \(EACCES\)\n/);
  });
});
