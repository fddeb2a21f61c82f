/**
 * `pack build` as a user runs it: the built binary (dist/cli/main.js) spawned in temp dirs, its exit
 * codes, stderr lines and stdout results.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runPack, type PackRun } from '../support/run-pack.js';
import { createDocker, describeEngine, removeImages, trackedTag } from '../support/engine.js';
import { writeTree } from '../support/tree.js';


let root: string;
const images: string[] = [];

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'pack-cli-build-'));
});
afterAll(async () => {
  await removeImages(images);
  await rm(root, { recursive: true, force: true });
});

function pack(args: string[], options: { cwd: string; env?: Record<string, string>; interruptWhen?: { stdout?: RegExp } }): Promise<PackRun> {
  return runPack(args, { ...options, home: root, env: { XDG_CACHE_HOME: join(root, 'cache'), ...options.env } });
}

async function project(name: string, files: Record<string, string>): Promise<string> {
  return writeTree(join(root, name), files);
}

const tag = (prefix: string): string => trackedTag(images, prefix, 'cli');

describe('pack build without an engine', () => {
  it('says in one line where it tried to reach the engine and how to fix it, exit 3', async () => {
    const dir = await project('unreachable', { Dockerfile: 'FROM busybox:local\n' });
    const socket = join(root, 'nothing-here.sock');
    const result = await pack(['build', '.', '-t', 'app:1'], { cwd: dir, env: { DOCKER_HOST: `unix://${socket}` } });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `pack: cannot reach the Docker engine at unix://${socket} (DOCKER_HOST=unix://${socket}): no socket at that path — start Docker (e.g. sudo systemctl start docker) or point --host / DOCKER_HOST at a running engine\n`,
    );
  });

  it('rejects a bad tag naming the flag before reading anything or contacting the engine (exit 2)', async () => {
    const result = await pack(['build', 'does-not-exist', '-t', 'Bad:Tag'], { cwd: root, env: { DOCKER_HOST: `unix://${join(root, 'none.sock')}` } });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('pack: -t/--tag "Bad:Tag": "Bad:Tag" is not a valid image reference');
  });

  it('rejects a bad Dockerfile with file:line and never contacts the engine (exit 2, not 3)', async () => {
    await project('bad-dockerfile', { Dockerfile: 'FROM busybox:local\nRUN true\nFOO bar\n' });
    const result = await pack(['build', 'bad-dockerfile'], { cwd: root, env: { DOCKER_HOST: `unix://${join(root, 'none.sock')}` } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pack: bad-dockerfile/Dockerfile:3: Unknown instruction: FOO\nhint: fix the Dockerfile\n');
  });

  it('refuses an unknown --network value (exit 2)', async () => {
    const result = await pack(['build', '.', '--network', 'bridge'], { cwd: root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pack: --network "bridge": must be default, none or host\n/);
  });
});

describeEngine('pack build with the engine', () => {
  it('prints plain, timestamp-free lines, one per step, and the image ID on stdout', async () => {
    const dir = await project('plain', { Dockerfile: 'FROM busybox:local\nRUN echo "built-$((6 * 7))"\nCMD ["true"]\n' });
    const name = tag('plain');
    const result = await pack(['build', '.', '-t', name, '--label', 'dev.pack.test=1', '--network', 'none'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    images.push(result.stdout.trim());
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Building Dockerfile on unix:\/\/\S+( \(DOCKER_HOST=\S+\))?$/);
    expect(lines[1]).toMatch(/^Sent context: 1 file, [\d.]+ kB$/);
    // The classic builder appends one LABEL step per label: created, dev.pack.test and the build digest
    // (the temp dir is no git work tree, so no source/revision labels).
    expect(lines.filter((l) => l.startsWith('Step '))).toEqual([
      'Step 1/6: FROM busybox:local',
      'Step 2/6: RUN echo "built-$((6 * 7))"',
      'Step 3/6: CMD ["true"]',
      expect.stringMatching(/^Step 4\/6: LABEL /),
      expect.stringMatching(/^Step 5\/6: LABEL /),
      expect.stringMatching(/^Step 6\/6: LABEL /),
    ]);
    expect(lines.at(-1)).toMatch(new RegExp(`^Built [0-9a-f]{12} in [\\d.]+m?s; tagged ${name}$`));
    // No line starts with a timestamp, and the RUN's output (built-42) is not repeated.
    expect(result.stderr).not.toMatch(/^\[?[\d-]*[ T]?\d\d:\d\d:\d\d/m);
    expect(result.stderr).not.toContain('built-42');
  });

  it('fails a failing RUN with exit 1, the step, the Dockerfile line and its last output on stderr', async () => {
    const dir = await project('failing', { Dockerfile: 'FROM busybox:local\n\nRUN echo about-to-fail && exit 4\n' });
    const result = await pack(['build', '.', '-t', tag('failing'), '--network', 'none'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      "pack: Dockerfile:3: step 2/4 (RUN echo about-to-fail && exit 4) failed: The command '/bin/sh -c echo about-to-fail && exit 4' returned a non-zero code: 4\n  > about-to-fail\nhint: the lines above are the last output of step 2\n",
    );
  });

  it('--json writes one JSON object per event and a final result on stdout, nothing on stderr', async () => {
    const dir = await project('json', { Dockerfile: 'FROM busybox:local\nCOPY a.txt /a.txt\n', 'a.txt': 'a\n' });
    const name = tag('json');
    const result = await pack(['build', '.', '-t', name, '--json', '--label', 'dev.pack.test=1'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const objects = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.map((o) => o['type'])).toEqual(expect.arrayContaining(['build.start', 'context.done', 'build.step', 'build.done']));
    const final = objects.at(-1) as Record<string, unknown>;
    expect(final).toMatchObject({
      type: 'result',
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      tags: [name],
      skipped: false,
      contextDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      buildDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      durations: { prepareMs: expect.any(Number), buildMs: expect.any(Number), totalMs: expect.any(Number) },
    });
    images.push(final['imageId'] as string);
  });

  it('skips an unchanged rebuild using the stat cache under $XDG_CACHE_HOME/pack, and rebuilds after an edit', async () => {
    const dir = await project('rebuild', { Dockerfile: 'FROM busybox:local\nCOPY . /src\n', 'a.txt': 'one\n' });
    const env = { XDG_CACHE_HOME: join(root, 'xdg') };
    const first = await pack(['build', '.', '-t', tag('rebuild'), '--label', 'dev.pack.test=1'], { cwd: dir, env });
    expect(first.code).toBe(0);
    images.push(first.stdout.trim());
    expect(await readdir(join(root, 'xdg', 'pack', 'stat-cache'))).toHaveLength(1);
    const secondTag = tag('rebuild-again');
    const second = await pack(['build', '.', '-t', secondTag, '--label', 'dev.pack.test=1'], { cwd: dir, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(/^Unchanged since [0-9a-f]{12} \(build digest sha256:[0-9a-f]{12}…\): nothing sent; tagged /m);
    expect(second.stderr).not.toContain('Sent context');
    expect((await createDocker().getImage(secondTag).inspect()).Id).toBe(first.stdout.trim());
    await writeFile(join(dir, 'a.txt'), 'two\n');
    const third = await pack(['build', '.', '-t', tag('rebuild-edited'), '--label', 'dev.pack.test=1'], { cwd: dir, env });
    expect(third.code).toBe(0);
    expect(third.stdout).not.toBe(first.stdout);
    images.push(third.stdout.trim());
  });

  it('exits 130 on Ctrl-C during a RUN and leaves no container behind', async () => {
    const marker = `sigint-${Math.random().toString(36).slice(2)}`;
    const dir = await project('sigint', { Dockerfile: `FROM busybox:local\nRUN echo ${marker} && sleep 60\n` });
    // --json keeps stderr clean, so the RUN's output is watched on stdout.
    const run = await pack(['build', '.', '--json', '--network', 'none'], {
      cwd: dir,
      interruptWhen: { stdout: new RegExp(`"text":"${marker}"`) },
    });
    expect(run.interrupted).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toBe('pack: interrupted\n');
    const docker = createDocker();
    const deadline = Date.now() + 20_000;
    const left = async (): Promise<number> => (await docker.listContainers({ all: true })).filter((c) => c.Command.includes(marker)).length;
    while ((await left()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await left()).toBe(0);
  });
});
