/**
 * pack archive / verify / restore against the real engine (Docker 20.10, classic store, the
 * Docker ≤ 24 save layout). Every image is uniquely named, labelled dev.pack.test=1, and removed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseManifest, type ArchiveManifest } from '../../src/archive/archive-manifest.js';
import { loadArchive, rebuildFromArchive, extractContext } from '../../src/archive/restore-archive.js';
import { runArchive, type ArchiveResult } from '../../src/archive/run-archive.js';
import { gitCommitTime } from '../../src/archive/source-date.js';
import { verifyArchive } from '../../src/archive/verify-archive.js';
import { parseBuildOptions, type BuildFlags } from '../../src/build/build-options.js';
import { readGitInfo } from '../../src/build/git-info.js';
import { imageLabels } from '../../src/build/labels.js';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import type { ArchiveEngine, Engine } from '../../src/engine/engine.js';
import type { PackEvent } from '../../src/progress/events.js';
import { dataOffset, flipped } from '../support/archive-fixtures.js';
import { PACK_TEST_LABEL, PACK_TEST_LABELS, createDocker, describeEngine, removeImages, trackedTag, uniqueName } from '../support/engine.js';
import { readTarEntries } from '../support/tar-read.js';
import { writeTree } from '../support/tree.js';

const TEST_LABEL = [PACK_TEST_LABEL];

let root: string;
const images: string[] = [];
let docker: Docker;
let engine: Engine & ArchiveEngine;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-archive-engine-'));
  docker = createDocker();
  engine = createEngine(await resolveEndpoint({ env: process.env, homeDir: root }));
});
afterAll(async () => {
  await removeImages(images, docker);
  await rm(root, { recursive: true, force: true });
});

async function project(name: string, files: Record<string, string>, options: { git?: boolean } = {}): Promise<string> {
  const dir = writeTree(join(root, name), files);
  if (options.git === true) {
    const git = (...args: string[]): void => {
      const result = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2024-05-01T12:00:00Z', GIT_COMMITTER_DATE: '2024-05-01T12:00:00Z' } });
      if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    };
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.email=test@example.com', '-c', 'user.name=test', 'commit', '-q', '-m', 'fixture');
  }
  return dir;
}

const tag = (prefix: string): string => trackedTag(images, prefix, 'archive');

interface Archived {
  result: ArchiveResult;
  manifest: ArchiveManifest;
  output: string;
  events: PackEvent[];
}

async function archive(dir: string, flags: BuildFlags & { image?: string; gzip?: boolean; output?: string; epochFrom?: 'git-commit' }): Promise<Archived> {
  const parsed = parseBuildOptions({ network: 'none', ...flags, label: [...(flags.label ?? []), ...TEST_LABEL] }, {});
  const git = await readGitInfo(dir);
  const epoch = flags.epochFrom === 'git-commit' ? await gitCommitTime(dir) : parsed.sourceDateEpoch;
  const options = epoch !== undefined ? { ...parsed, sourceDateEpoch: epoch } : parsed;
  const output = flags.output ?? join(root, `${uniqueName('archive')}.tar${flags.gzip === true ? '.gz' : ''}`);
  const events: PackEvent[] = [];
  const result = await runArchive(
    {
      output,
      gzip: flags.gzip === true,
      build: {
        contextDir: dir,
        options,
        ...(parsed.file !== undefined ? { dockerfilePath: parsed.file } : {}),
        labels: imageLabels({ ...(git ? { git } : {}), createdSeconds: epoch ?? 1_700_000_000, userLabels: parsed.labels }),
        cacheFile: join(root, 'stat-cache', `${Math.random()}.json`),
      },
      ...(flags.image !== undefined ? { image: flags.image } : {}),
      source: { git, sourceDateEpochFrom: flags.epochFrom },
      plan: () => null,
      packVersion: '0.0.0-test',
    },
    { engine, emit: (event) => events.push(event) },
  );
  images.push(result.imageId);
  const manifestBytes = spawnSync('tar', ['-xOf', output, 'pack/manifest.json'], { maxBuffer: 64 << 20 }).stdout;
  return { result, manifest: parseManifest(manifestBytes), output, events };
}

/** Runs the image with no network and returns what it printed. */
async function run(image: string): Promise<string> {
  const container = await docker.createContainer({ Image: image, Tty: true, Labels: { ...PACK_TEST_LABELS }, HostConfig: { NetworkMode: 'none' } });
  try {
    await container.start();
    const status = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    expect(status.StatusCode).toBe(0);
    return logs.toString('utf8').replace(/\r\n/g, '\n');
  } finally {
    await container.remove({ force: true });
  }
}

const FIXTURE = {
  Dockerfile: ['FROM busybox:local', 'ARG GREETING=hello', 'COPY message.txt /message.txt', 'RUN echo "$GREETING from the build" > /greeting.txt', 'CMD ["sh", "-c", "cat /greeting.txt /message.txt"]', ''].join('\n'),
  'message.txt': 'message from the archived context\n',
};

describeEngine('pack archive on the real engine', () => {
  it('archives a busybox fixture; after docker rmi, restore gives the same image ID and the container runs', async () => {
    const dir = await project('roundtrip', FIXTURE, { git: true });
    const name = tag('roundtrip');
    const { result, manifest, output, events } = await archive(dir, { tag: [name], buildArg: ['GREETING=bonjour'], epochFrom: 'git-commit' });
    expect(result.mode).toBe('built');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['build.start', 'archive.start', 'archive.done']));

    // The manifest says what the engine says.
    const inspected = await docker.getImage(name).inspect();
    expect(manifest.image.id).toBe(inspected.Id);
    expect(manifest.image.repoTags).toEqual([name]);
    expect(manifest.image.diffIds).toEqual(inspected.RootFS.Layers);
    expect(manifest.image.platform).toEqual({ os: inspected.Os, architecture: inspected.Architecture, variant: null });
    expect(manifest.image.layout).toBe('docker-save');
    // The base image as the engine knows it: its ID, and the registry digests it was pushed or pulled with.
    const busybox = await docker.getImage('busybox:local').inspect();
    expect(manifest.base).toEqual([{ reference: 'busybox:local', id: busybox.Id, repoDigests: busybox.RepoDigests ?? [] }]);
    expect(manifest.build).toMatchObject({ mode: 'built', buildArgs: { GREETING: 'bonjour' }, network: 'none', dockerfile: { nameInContext: 'Dockerfile', origin: 'project' } });
    expect(manifest.source).toMatchObject({ directory: 'roundtrip', sourceDateEpoch: Date.parse('2024-05-01T12:00:00Z') / 1000, sourceDateEpochFrom: 'git-commit' });
    expect(manifest.source.git?.dirty).toBe(false);

    // Layout: the image first, pack/ last, in the documented order.
    const names = (await readTarEntries(output)).map((entry) => entry.path);
    expect(names.slice(-6)).toEqual(['pack/', 'pack/Dockerfile', 'pack/README.txt', 'pack/context.tar', 'pack/manifest.json', 'pack/SHA256SUMS']);
    expect(names).toContain('manifest.json');
    expect(names).toContain(`${inspected.Id.slice(7)}.json`);

    expect((await verifyArchive(output)).problems).toEqual([]);

    await removeImages([name], docker);
    await expect(docker.getImage(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const loaded = await loadArchive(output, (await readFile(output)).length, manifest, [], { engine, emit: () => {} });
    expect(loaded).toEqual({ imageId: inspected.Id, tags: [name] });
    expect((await docker.getImage(name).inspect()).Id).toBe(inspected.Id);
    expect(await run(name)).toBe('bonjour from the build\nmessage from the archived context\n');
  });

  it('is a valid `docker load -i` input as it is, plain and gzip-compressed, without pack', async () => {
    const dir = await project('docker-load', FIXTURE);
    for (const gzip of [false, true]) {
      const name = tag(`docker-load-${gzip ? 'gz' : 'tar'}`);
      const { result, output } = await archive(dir, { tag: [name], gzip });
      expect(result.gzip).toBe(gzip);
      await removeImages([name], docker);
      const load = spawnSync('docker', ['load', '-i', output], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      expect(load.stdout).toBe(`Loaded image: ${name}\n`);
      expect((await docker.getImage(name).inspect()).Id).toBe(result.imageId);
      expect(await run(name)).toBe('hello from the build\nmessage from the archived context\n');
    }
  });

  it('passes the engine stream through byte for byte (the archive starts with docker save minus its end marker)', async () => {
    const dir = await project('passthrough', FIXTURE);
    const name = tag('passthrough');
    const { output } = await archive(dir, { tag: [name] });
    const saved = spawnSync('docker', ['save', name], { maxBuffer: 64 << 20 });
    expect(saved.status).toBe(0);
    const image = saved.stdout.subarray(0, saved.stdout.length - 1024);
    const bytes = await readFile(output);
    expect(createHash('sha256').update(bytes.subarray(0, image.length)).digest('hex')).toBe(createHash('sha256').update(image).digest('hex'));
  });

  it('verify fails on a flipped byte in each member type of a real archive, on a truncated file and on a ../ member', async () => {
    const dir = await project('flips', FIXTURE);
    const name = tag('flips');
    const { output, manifest } = await archive(dir, { tag: [name] });
    const bytes = await readFile(output);
    const files = [...manifest.members.filter((m) => m.type === 'file').map((m) => m.path), 'pack/manifest.json', 'pack/SHA256SUMS'];
    const kinds = new Set(files.map((f) => f.replace(/[0-9a-f]{64}/, '<id>')));
    expect([...kinds].sort()).toEqual(
      ['<id>.json', '<id>/VERSION', '<id>/json', '<id>/layer.tar', 'manifest.json', 'pack/Dockerfile', 'pack/README.txt', 'pack/SHA256SUMS', 'pack/context.tar', 'pack/manifest.json', 'repositories'].sort(),
    );
    const damaged = join(root, 'damaged.tar');
    for (const file of files) {
      const at = dataOffset(bytes, file);
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 0x01;
      await writeFile(damaged, copy);
      const report = await verifyArchive(damaged);
      expect(report.ok, file).toBe(false);
      expect(report.problems.some((p) => p.member === file && p.expected?.startsWith('sha256:') && p.actual?.startsWith('sha256:')), `${file}: ${JSON.stringify(report.problems)}`).toBe(true);
    }
    await writeFile(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect((await verifyArchive(damaged)).problems.map((p) => p.code)).toEqual(['TAR_TRUNCATED']);
    await writeFile(damaged, flipped(bytes, dataOffset(bytes, 'pack/README.txt') - 512 + 100));
    expect((await verifyArchive(damaged)).problems.map((p) => p.code)).toEqual(['TAR_HEADER_CHECKSUM']);
    // A tar whose member climbs out: rejected, and nothing appears outside.
    const evil = spawnSync('tar', ['--format=gnu', '-cf', join(root, 'evil.tar'), '-C', dir, '--transform', 's,^,../../,', 'message.txt'], { encoding: 'utf8' });
    expect(evil.status, evil.stderr).toBe(0);
    const before = await readdir(dirname(root));
    const report = await verifyArchive(join(root, 'evil.tar'));
    expect(report.problems.map((p) => p.code)).toEqual(['MEMBER_UNSAFE']);
    expect(report.problems[0]?.message).toMatch(/^unsafe member "\.\.\/\.\.\/message\.txt" at byte 0: has a "\.\." component/);
    expect(await readdir(dirname(root))).toEqual(before);
  });

  it('keeps a layer the engine saved as a symlink (Docker ≤ 24: the same layer twice) and verifies it', async () => {
    const dir = await project('symlink-layer', {
      Dockerfile: 'FROM busybox:local\nCOPY a /a\nRUN rm /a\nCOPY a /a\n',
      a: 'twice\n',
    });
    // COPY keeps the file's mtime, so both COPY layers are byte-identical only with a fixed one.
    await utimes(join(dir, 'a'), 1_600_000_000, 1_600_000_000);
    const name = tag('symlink-layer');
    const { output, manifest } = await archive(dir, { tag: [name] });
    expect(manifest.image.diffIds[1]).toBe(manifest.image.diffIds[3]);
    expect(manifest.members.filter((m) => m.type === 'symlink').map((m) => m.linkname)).toEqual([expect.stringMatching(/^\.\.\/[0-9a-f]{64}\/layer\.tar$/)]);
    const report = await verifyArchive(output);
    expect(report.problems).toEqual([]);
    expect(report.checks).toContain('4/4 layers: sha256 = diff ID');
  });

  it('archives an image given with --image, saved under its name, and says pack did not build it', async () => {
    const dir = await project('given', FIXTURE);
    const built = tag('given-source');
    await archive(dir, { tag: [built] });
    const { result, manifest } = await archive(dir, { image: built });
    expect(result.mode).toBe('given');
    expect(manifest.build.mode).toBe('given');
    expect(manifest.image.repoTags).toEqual([built]);
  });

  it('rebuilds from the archive: the COPY layer from the deterministic context comes out identical', async () => {
    const dir = await project('rebuild', FIXTURE, { git: true });
    const name = tag('rebuild');
    const { output, manifest } = await archive(dir, { tag: [name], epochFrom: 'git-commit' });
    const rebuiltTag = tag('rebuilt');
    const result = await rebuildFromArchive(output, manifest, { tags: [rebuiltTag], noCache: true }, { engine, emit: () => {} });
    images.push(result.imageId);
    // Base and COPY layers come out identical; the RUN layer holds file times of the build, so
    // it matches only when both builds ran within the same second (layer tars keep whole seconds).
    expect(result.layers.map((layer) => [layer.index, layer.command.replace(/[0-9a-f]{64}/, '<hex>')])).toEqual([
      [1, ''],
      [2, '/bin/sh -c #(nop) COPY file:<hex> in /message.txt '],
      [3, '|1 GREETING=hello /bin/sh -c echo "$GREETING from the build" > /greeting.txt'],
    ]);
    expect(result.layers.slice(0, 2).map((layer) => layer.identical)).toEqual([true, true]);
    expect(result.identical).toBeGreaterThanOrEqual(2);
    expect(await run(rebuiltTag)).toBe('hello from the build\nmessage from the archived context\n');
  });

  it('extracts the context with its Dockerfile, and docker builds it', async () => {
    const dir = await project('extract', FIXTURE);
    const name = tag('extract');
    const { output, manifest } = await archive(dir, { tag: [name] });
    const dest = join(root, 'extracted');
    const result = await extractContext(output, manifest, dest, { emit: () => {} });
    expect(result.files).toBe(2);
    expect(await readFile(join(dest, 'Dockerfile'), 'utf8')).toBe(FIXTURE.Dockerfile);
    expect(await readFile(join(dest, 'message.txt'), 'utf8')).toBe(FIXTURE['message.txt']);
    const again = tag('extract-docker-build');
    const build = spawnSync('docker', ['build', '-q', '--network', 'none', '--label', TEST_LABEL[0] as string, '-t', again, dest], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    expect(build.status, build.stderr).toBe(0);
    expect(await run(again)).toBe('hello from the build\nmessage from the archived context\n');
  });

  it('packs a byte-identical context for the same commit, whatever the checkout times', async () => {
    // .git itself differs between two clones; projects keep it out of their context.
    const dir = await project('reproducible', { ...FIXTURE, '.dockerignore': '.git\n' }, { git: true });
    const clone = join(root, 'reproducible-clone');
    expect(spawnSync('git', ['clone', '-q', dir, clone]).status).toBe(0);
    // A later checkout: newer mtimes everywhere.
    await utimes(join(clone, 'message.txt'), Date.now() / 1000 + 1000, Date.now() / 1000 + 1000);
    const first = await archive(dir, { tag: [tag('reproducible-a')], epochFrom: 'git-commit' });
    const second = await archive(clone, { tag: [tag('reproducible-b')], epochFrom: 'git-commit' });
    expect(second.manifest.context.digest).toBe(first.manifest.context.digest);
    expect(second.manifest.build.dockerfile.digest).toBe(first.manifest.build.dockerfile.digest);
  });

  it('archives an untagged image built from a Dockerfile outside the context, and restores it by its ID', async () => {
    const dir = await project('outside/app', { 'message.txt': FIXTURE['message.txt'] });
    const dockerfile = join(root, 'outside', 'Dockerfile.release');
    await writeFile(dockerfile, FIXTURE.Dockerfile);
    const { output, manifest, result } = await archive(dir, { file: dockerfile });
    expect(manifest.image.repoTags).toEqual([]);
    expect(manifest.build.dockerfile).toMatchObject({ origin: 'outside-context', nameInContext: expect.stringMatching(/^\.dockerfile\.[0-9a-f]{20}$/) });
    expect((await verifyArchive(output)).problems).toEqual([]);
    await removeImages([result.imageId], docker);
    const loaded = await loadArchive(output, (await readFile(output)).length, manifest, [], { engine, emit: () => {} });
    expect(loaded).toEqual({ imageId: result.imageId, tags: [] });
    expect(await run(result.imageId)).toBe('hello from the build\nmessage from the archived context\n');
    // The injected Dockerfile travels in the context under its name, with the .dockerignore that hides it.
    const dest = join(root, 'outside-extracted');
    await extractContext(output, manifest, dest, { emit: () => {} });
    expect((await readdir(dest)).sort()).toEqual(['.dockerignore', manifest.build.dockerfile.nameInContext, 'message.txt'].sort());
    expect(await readFile(join(dest, manifest.build.dockerfile.nameInContext), 'utf8')).toBe(FIXTURE.Dockerfile);
  });

  it('refuses to write the archive into its own build context unless .dockerignore keeps it out', async () => {
    const dir = await project('self', FIXTURE);
    await expect(archive(dir, { tag: [tag('self')], output: join(dir, 'self.tar') })).rejects.toThrow(
      /-o .*self\.tar is inside the build context and \.dockerignore does not exclude self\.tar/,
    );
    await writeFile(join(dir, '.dockerignore'), '/self.tar*\n');
    const { output } = await archive(dir, { tag: [tag('self-ignored')], output: join(dir, 'self.tar') });
    expect((await verifyArchive(output)).ok).toBe(true);
  });
});
