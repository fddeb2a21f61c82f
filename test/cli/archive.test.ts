/**
 * pack archive / verify / restore as a user runs them: the built binary (dist/cli/main.js) spawned
 * in temp dirs; exit codes, stdout results, stderr lines; an archive interrupted mid-write (killed
 * outright, or Ctrl-C) leaves nothing at the output path.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOffset } from '../support/archive-fixtures.js';
import { PACK_TEST_LABEL, describeEngine, removeImages, trackedTag } from '../support/engine.js';
import { writeTree } from '../support/tree.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

let root: string;
const images: string[] = [];

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  root = await mkdtemp(join(tmpdir(), 'pack-cli-archive-'));
});
afterAll(async () => {
  await removeImages(images);
  await rm(root, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: root, XDG_CACHE_HOME: join(root, 'cache'), ...(process.env['DOCKER_HOST'] ? { DOCKER_HOST: process.env['DOCKER_HOST'] } : {}), ...extra };
}

function pack(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: options.cwd ?? root, env: env(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function project(name: string, files: Record<string, string>): Promise<string> {
  return writeTree(join(root, name), files);
}

const tag = (prefix: string): string => trackedTag(images, prefix, 'cli');

const FIXTURE = { Dockerfile: 'FROM busybox:local\nCOPY message.txt /message.txt\nCMD ["cat", "/message.txt"]\n', 'message.txt': 'restored and running\n' };

describe('pack archive, verify and restore without an engine', () => {
  it('refuse bad usage in one line with exit 2, before anything is read or written', async () => {
    const noEngine = { DOCKER_HOST: `unix://${join(root, 'none.sock')}` };
    const cases: [string[], string][] = [
      [['archive', '.'], 'pack: pack archive needs -o/--output FILE'],
      [['archive', '.', '-o', '-'], 'pack: -o/--output -: pack archive writes a file (it appears only when complete), not stdout'],
      [['archive', '.', '-o', 'x.tar', '--image', 'Not Valid'], 'pack: --image "Not Valid": "Not Valid" is not a valid image reference'],
      [['archive', '.', '-o', 'x.tar', '--network', 'bridge'], 'pack: --network "bridge": must be default, none or host'],
      [['restore', 'x.tar', '--rebuild', '--extract', 'dir'], 'pack: --rebuild and --extract cannot be used together'],
      [['verify', 'missing.tar'], `pack: cannot read archive ${join(root, 'missing.tar')}: no such file`],
    ];
    for (const [args, line] of cases) {
      const result = await pack(args, { env: noEngine });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n')[0], args.join(' ')).toBe(line);
      expect(result.stdout).toBe('');
    }
    expect(await readdir(root)).not.toContain('x.tar');
  });

  it('verify needs no engine; restore verifies first and then names the engine it cannot reach (exit 3)', async () => {
    // Any pack archive will do: made by the engine suite below when it runs; here a hand-made one.
    const { fixtureArchive } = await import('../support/archive-fixtures.js');
    const { bytes } = await fixtureArchive();
    const path = join(root, 'offline.tar');
    await writeFile(path, bytes);
    const socket = join(root, 'nothing.sock');
    const verified = await pack(['verify', 'offline.tar'], { env: { DOCKER_HOST: `unix://${socket}` } });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/\nresult    OK: every checksum and the image's consistency hold\n$/);
    const restored = await pack(['restore', 'offline.tar'], { env: { DOCKER_HOST: `unix://${socket}` } });
    expect(restored.code).toBe(3);
    expect(restored.stderr).toMatch(/^Verified .*offline\.tar in [\d.]+m?s: everything holds\npack: cannot reach the Docker engine at unix:\/\//);
  });

  it('verify prints the report and exits 1 on a flipped byte, naming the member, expected and actual', async () => {
    const { fixtureArchive } = await import('../support/archive-fixtures.js');
    const { bytes } = await fixtureArchive();
    const copy = Buffer.from(bytes);
    const at = dataOffset(bytes, 'pack/context.tar') + 10;
    copy[at] = (copy[at] as number) ^ 0x01;
    await writeFile(join(root, 'flipped.tar'), copy);
    const result = await pack(['verify', 'flipped.tar']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAILED    pack\/context\.tar: sha256 expected sha256:[0-9a-f]{64}, actual sha256:[0-9a-f]{64}$/m);
    expect(result.stderr).toMatch(/^pack: .*flipped\.tar: verification failed: pack\/context\.tar: sha256 expected sha256:[0-9a-f]{64}, actual sha256:[0-9a-f]{64} \(and \d+ more problems, listed above\)\nhint: /m);
    const json = await pack(['verify', 'flipped.tar', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout.trim().split('\n').at(-1) as string) as { type: string; ok: boolean; problems: { member: string }[] };
    expect(report).toMatchObject({ type: 'result', ok: false });
    expect(report.problems[0]?.member).toBe('pack/context.tar');
  });

  it('restore refuses to extract from an archive that fails verification, and writes nothing', async () => {
    const { fixtureArchive } = await import('../support/archive-fixtures.js');
    const { bytes } = await fixtureArchive();
    const copy = Buffer.from(bytes);
    const at = dataOffset(bytes, 'pack/Dockerfile') + 3;
    copy[at] = (copy[at] as number) ^ 0x01;
    await writeFile(join(root, 'bad-dockerfile.tar'), copy);
    const result = await pack(['restore', 'bad-dockerfile.tar', '--extract', 'never']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED    pack\/Dockerfile: sha256 expected/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});

describeEngine('pack archive, verify and restore with the engine', () => {
  it('archive → rmi → restore: same image ID, the container runs; docker load -i reads the same file', async () => {
    const dir = await project('flow', FIXTURE);
    const name = tag('flow');
    const archived = await pack(['archive', '.', '-o', join(root, 'flow.tar.gz'), '-t', name, '--label', PACK_TEST_LABEL, '--network', 'none'], { cwd: dir });
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.stdout).toBe(`${join(root, 'flow.tar.gz')}\n`);
    const id = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).stdout.trim();
    images.push(id);
    const lines = archived.stderr.trimEnd().split('\n');
    expect(lines).toContain(`Archiving ${id.slice(7, 19)} (${name}) to ${join(root, 'flow.tar.gz')} (gzip)`);
    expect(lines.at(-1)).toMatch(new RegExp(`^Wrote ${join(root, 'flow.tar.gz').replace(/[.]/g, '\\.')}: [\\d.]+ [kMG]?B in [\\d.]+m?s; archive digest sha256:[0-9a-f]{64}$`));

    const verified = await pack(['verify', 'flow.tar.gz', '-q']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toBe('');

    await removeImages([name]);
    const restored = await pack(['restore', 'flow.tar.gz']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toBe(`${id}\n`);
    expect(restored.stderr).toMatch(new RegExp(`Tagged ${id.slice(7, 19)}: ${name}\\nRestored ${id.slice(7, 19)} in [\\d.]+m?s; tagged ${name}\\n$`));
    const run = spawnSync('docker', ['run', '--rm', '--network', 'none', '--label', PACK_TEST_LABEL, name], { encoding: 'utf8' });
    expect(run.stdout).toBe('restored and running\n');

    await removeImages([name]);
    const load = spawnSync('docker', ['load', '-i', join(root, 'flow.tar.gz')], { encoding: 'utf8' });
    expect(load.stdout).toBe(`Loaded image: ${name}\n`);
    expect(spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).stdout.trim()).toBe(id);
  });

  it('restore --rebuild prints each layer and whether it came out identical; --extract unpacks the source', async () => {
    // Content of its own: the same content as another test's image would be reused by pack's skip
    // (the build digest ignores file times), and that image's COPY layer carries other file times.
    const dir = await project('rebuild', { ...FIXTURE, 'message.txt': 'rebuilt from the archive\n' });
    const name = tag('rebuild');
    const archived = await pack(['archive', '.', '-o', join(root, 'rebuild.tar'), '-t', name, '--label', PACK_TEST_LABEL, '--network', 'none'], { cwd: dir });
    expect(archived.code, archived.stderr).toBe(0);
    const rebuiltTag = tag('rebuilt');
    const rebuilt = await pack(['restore', 'rebuild.tar', '--rebuild', '-t', rebuiltTag]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const out = rebuilt.stdout.trimEnd().split('\n');
    expect(out[0], rebuilt.stdout + rebuilt.stderr).toBe('layer 1/2    identical (base image)');
    expect(out[1], rebuilt.stdout + rebuilt.stderr).toMatch(/^layer 2\/2    identical COPY file:[0-9a-f]{64} in \/message\.txt$/);
    // Same context, same Dockerfile, same labels: the engine's cache gives back the archived image itself.
    expect(out[2]).toMatch(/^rebuilt sha256:[0-9a-f]{64}: 2\/2 layers identical/);
    images.push(out[2]?.slice(8, 79) ?? '');

    const extracted = await pack(['restore', 'rebuild.tar', '--extract', 'source']);
    expect(extracted.code, extracted.stderr).toBe(0);
    expect(extracted.stdout).toBe(`${join(root, 'source')}\n`);
    expect((await readdir(join(root, 'source'))).sort()).toEqual(['Dockerfile', 'message.txt']);
    expect(await readFile(join(root, 'source', 'Dockerfile'), 'utf8')).toBe(FIXTURE.Dockerfile);
  });

  it('restore --rebuild says why layers may differ when the archived image was reused from an earlier build', async () => {
    const first = await project('reused-a', { ...FIXTURE, 'message.txt': 'reused content\n' });
    const firstTag = tag('reused-a');
    expect((await pack(['archive', '.', '-o', join(root, 'reused-a.tar'), '-t', firstTag, '--label', PACK_TEST_LABEL, '--network', 'none'], { cwd: first })).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Same content, later file times: pack's skip reuses the first image.
    const second = await project('reused-b', { ...FIXTURE, 'message.txt': 'reused content\n' });
    const secondTag = tag('reused-b');
    const archived = await pack(['archive', '.', '-o', join(root, 'reused-b.tar'), '-t', secondTag, '--label', PACK_TEST_LABEL, '--network', 'none', '--json'], { cwd: second });
    expect(JSON.parse(archived.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ type: 'result', mode: 'reused' });
    // Without the engine's cache the COPY runs again, with pack/context.tar's file times.
    const rebuilt = await pack(['restore', 'reused-b.tar', '--rebuild', '--no-cache', '-t', tag('reused-rebuilt')]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    images.push(/^rebuilt (sha256:[0-9a-f]{64})/m.exec(rebuilt.stdout)?.[1] ?? '');
    expect(rebuilt.stdout).toMatch(/^layer 2\/2    differs   COPY file:[0-9a-f]{64} in \/message\.txt$/m);
    expect(rebuilt.stdout).toMatch(/^note: the archived image came from an earlier build of the same content \(build\.mode "reused"\)/m);
  });

  describe('an archive interrupted mid-write', () => {
    let big: string;
    beforeAll(async () => {
      // ~300 MB of random data: writing it (gzip-compressed) takes seconds, time enough to interrupt.
      const dir = await project('big', { Dockerfile: 'FROM busybox:local\nRUN dd if=/dev/urandom of=/big bs=1M count=300 2>/dev/null\n' });
      big = tag('big');
      const built = spawnSync('docker', ['build', '-q', '--network', 'none', '--label', PACK_TEST_LABEL, '-t', big, dir], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
      if (built.status !== 0) throw new Error(`docker build failed: ${built.stderr}`);
    });

    async function interrupted(signal: NodeJS.Signals, output: string): Promise<Run & { partialSeen: number }> {
      const child = spawn(process.execPath, [MAIN, 'archive', join(root, 'big'), '--image', big, '-o', output], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
      // Wait until the partial file holds some megabytes: the write is under way.
      let partialSeen = 0;
      for (let i = 0; i < 600 && partialSeen < 8 * 1024 * 1024; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const partial = (await readdir(root)).find((name) => name.startsWith(`${output.split('/').at(-1) ?? ''}.partial-`));
        if (partial !== undefined) partialSeen = (await stat(join(root, partial)).catch(() => ({ size: 0 }))).size;
      }
      child.kill(signal);
      return { ...(await closed), stdout, stderr, partialSeen };
    }

    it('killed outright (SIGKILL): nothing at the output path', async () => {
      const output = join(root, 'killed.tar.gz');
      const result = await interrupted('SIGKILL', output);
      expect(result.partialSeen).toBeGreaterThan(0);
      expect(result.signal).toBe('SIGKILL');
      expect(existsSync(output)).toBe(false);
      // Only a file named as unfinished may remain, never one that looks like an archive.
      expect((await readdir(root)).filter((name) => name.startsWith('killed.tar.gz'))).toEqual([expect.stringMatching(/^killed\.tar\.gz\.partial-[0-9a-f]{12}$/)]);
    });

    it('Ctrl-C (SIGINT): exit 130, and no file at all, partial included', async () => {
      const output = join(root, 'interrupted.tar.gz');
      const result = await interrupted('SIGINT', output);
      expect(result.partialSeen).toBeGreaterThan(0);
      expect(result.code).toBe(130);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('pack: interrupted');
      expect((await readdir(root)).filter((name) => name.startsWith('interrupted.tar.gz'))).toEqual([]);
    });
  });
});
