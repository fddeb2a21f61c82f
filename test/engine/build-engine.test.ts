/**
 * pack build against the real engine: what arrives in the image, what the engine reports, and
 * what is left behind. Every image is uniquely named, labelled dev.pack.test=1, and removed.
 */
import { chmod, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBuildOptions, type BuildFlags } from '../../src/build/build-options.js';
import { runBuild, type BuildResult } from '../../src/build/run-build.js';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import type { Engine } from '../../src/engine/engine.js';
import type { RegistryAuthResolver } from '../../src/engine/registry-config.js';
import { ExitCode, PackError, UsageError } from '../../src/errors.js';
import type { PackEvent } from '../../src/progress/events.js';
import { PACK_TEST_LABEL, PACK_TEST_LABELS, createDocker, describeEngine, removeImages, trackedTag } from '../support/engine.js';
import { writeTree } from '../support/tree.js';

const TEST_LABEL = [PACK_TEST_LABEL];

let root: string;
const images: string[] = [];
let docker: Docker;
let engine: Engine;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-build-engine-'));
  docker = createDocker();
  engine = createEngine(await resolveEndpoint({ env: process.env, homeDir: root }));
});
afterAll(async () => {
  await removeImages(images, docker);
  await rm(root, { recursive: true, force: true });
});

async function project(name: string, files: Record<string, string>): Promise<string> {
  return writeTree(join(root, name), files);
}

const tag = (prefix: string): string => trackedTag(images, prefix, 'test');

/** Counts build() calls on the real engine, so a test can prove that nothing was sent. */
function counting(inner: Engine): Engine & { builds: number } {
  const wrapper = {
    builds: 0,
    endpoint: inner.endpoint,
    info: inner.info.bind(inner),
    build: (...args: Parameters<Engine['build']>) => {
      wrapper.builds += 1;
      return inner.build(...args);
    },
    inspectImage: inner.inspectImage.bind(inner),
    findImagesByLabel: inner.findImagesByLabel.bind(inner),
    tagImage: inner.tagImage.bind(inner),
    removeImage: inner.removeImage.bind(inner),
  };
  return wrapper;
}

async function build(
  dir: string,
  flags: BuildFlags,
  options: {
    engine?: Engine;
    events?: PackEvent[];
    signal?: AbortSignal;
    cacheFile?: string;
    onEvent?: (event: PackEvent) => void;
    registryAuth?: RegistryAuthResolver;
  } = {},
): Promise<BuildResult> {
  const parsed = parseBuildOptions({ ...flags, label: [...(flags.label ?? []), ...TEST_LABEL] }, {});
  const result = await runBuild(
    {
      contextDir: dir,
      options: parsed,
      labels: parsed.labels,
      cacheFile: options.cacheFile ?? join(root, 'stat-cache', `${Math.random()}.json`),
      ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
    },
    {
      engine: options.engine ?? engine,
      emit: (event) => {
        options.events?.push(event);
        options.onEvent?.(event);
      },
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  images.push(result.imageId);
  return result;
}

/** Runs the image with no network and returns what it printed (TTY mode: one plain stream). */
async function run(image: string, cmd?: string[]): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    Tty: true,
    Labels: { ...PACK_TEST_LABELS },
    HostConfig: { NetworkMode: 'none' },
  });
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

async function containersMentioning(marker: string): Promise<string[]> {
  const all = await docker.listContainers({ all: true });
  return all.filter((c) => c.Command.includes(marker)).map((c) => `${c.Id.slice(0, 12)} ${c.State} ${c.Command}`);
}

describeEngine('pack build on the real engine', () => {
  it('a generated Dockerfile sets its OCI labels from build args; they are not passed again as LABEL steps', async () => {
    const dir = await project('label-args', { 'hello.txt': 'hi\n' });
    const created = '2024-05-01T12:00:00Z';
    const dockerfile = ['FROM busybox:local', 'COPY hello.txt /', 'ARG OCI_CREATED', 'LABEL org.opencontainers.image.created="${OCI_CREATED}"', ''].join('\n');
    const parsed = parseBuildOptions({ tag: [tag('label-args')], label: TEST_LABEL }, {});
    const events: PackEvent[] = [];
    const result = await runBuild(
      {
        contextDir: dir,
        options: parsed,
        dockerfileContent: Buffer.from(dockerfile),
        dockerfileDisplay: '(generated)',
        labels: { ...parsed.labels, 'org.opencontainers.image.created': created },
        labelArgs: [{ arg: 'OCI_CREATED', label: 'org.opencontainers.image.created' }],
        cacheFile: join(root, 'stat-cache', 'label-args.json'),
      },
      { engine, emit: (event) => events.push(event) },
    );
    images.push(result.imageId);
    const info = await docker.getImage(result.imageId).inspect();
    expect(info.Config.Labels).toMatchObject({ 'org.opencontainers.image.created': created, ...PACK_TEST_LABELS });
    // FROM, COPY, ARG, LABEL, then one LABEL step per query label: dev.pack.test and the build digest only.
    const steps = events.filter((event): event is Extract<PackEvent, { type: 'build.step' }> => event.type === 'build.step');
    expect(steps.map((step) => step.instruction).filter((text) => text.startsWith('LABEL'))).toEqual([
      'LABEL org.opencontainers.image.created="${OCI_CREATED}"',
      'LABEL dev.pack.build.digest=' + String(result.buildDigest),
      'LABEL dev.pack.test=1',
    ]);
    expect(result.steps).toBe(6);
  });

  it('builds a busybox fixture that runs, with build args, labels and every tag applied', async () => {
    const dir = await project('busybox', {
      Dockerfile: [
        'FROM busybox:local',
        'ARG GREETING=hello',
        'ARG UNUSED_DEFAULT=kept',
        'COPY message.txt /message.txt',
        'RUN echo "$GREETING from a build arg" > /greeting.txt',
        'CMD ["sh", "-c", "cat /greeting.txt /message.txt"]',
      ].join('\n'),
      'message.txt': 'message from the context\n',
    });
    const first = tag('busybox-a');
    const second = tag('busybox-b');
    const events: PackEvent[] = [];
    const asked: string[][] = [];
    const result = await build(
      dir,
      { tag: [first, second], buildArg: ['GREETING=bonjour'], label: ['team=core', 'tier'] },
      {
        events,
        // The credential seam: asked once for the registries the FROM lines pull from.
        registryAuth: async (registries) => {
          asked.push([...registries]);
          return { 'https://index.docker.io/v1/': { username: 'nobody', password: 'unused' } };
        },
      },
    );
    expect(asked).toEqual([['docker.io']]);

    expect(result.skipped).toBe(false);
    expect(result.tags).toEqual([first, second]);
    expect(await run(first)).toBe('bonjour from a build arg\nmessage from the context\n');
    const inspect = await docker.getImage(second).inspect();
    expect(inspect.Id).toBe(result.imageId);
    expect(inspect.RepoTags).toEqual(expect.arrayContaining([first, second]));
    expect(inspect.Config.Labels).toMatchObject({ team: 'core', tier: '', 'dev.pack.test': '1', 'dev.pack.build.digest': result.buildDigest });
    // Build args reach RUN through the environment of the step; the image history shows them.
    const history = await docker.getImage(first).history();
    expect(history.map((h: { CreatedBy: string }) => h.CreatedBy).join('\n')).toContain('GREETING=bonjour');
    // Steps were reported with their Dockerfile lines.
    expect(events.filter((e) => e.type === 'build.step').slice(0, 5)).toEqual([
      { type: 'build.step', index: 1, total: expect.any(Number), instruction: 'FROM busybox:local', line: 1 },
      { type: 'build.step', index: 2, total: expect.any(Number), instruction: 'ARG GREETING=hello', line: 2 },
      { type: 'build.step', index: 3, total: expect.any(Number), instruction: 'ARG UNUSED_DEFAULT=kept', line: 3 },
      { type: 'build.step', index: 4, total: expect.any(Number), instruction: 'COPY message.txt /message.txt', line: 4 },
      { type: 'build.step', index: 5, total: expect.any(Number), instruction: 'RUN echo "$GREETING from a build arg" > /greeting.txt', line: 5 },
    ]);
    expect(result.contextDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('builds only up to --target in a multi-stage Dockerfile', async () => {
    const dir = await project('multistage', {
      Dockerfile: [
        'FROM busybox:local AS base',
        'RUN echo base > /stage.txt',
        'FROM base AS tools',
        'RUN echo tools > /stage.txt',
        'FROM base AS release',
        'RUN echo release > /stage.txt',
        'CMD ["cat", "/stage.txt"]',
      ].join('\n'),
    });
    const name = tag('target');
    const events: PackEvent[] = [];
    await build(dir, { tag: [name], target: 'tools' }, { events });
    expect(await run(name, ['cat', '/stage.txt'])).toBe('tools\n');
    expect(events.some((e) => e.type === 'build.step' && e.instruction.includes('release'))).toBe(false);
    await expect(build(dir, { tag: [tag('target-bad')], target: 'nightly' })).rejects.toThrow(
      '--target "nightly": Dockerfile has no stage named so',
    );
  });

  it('fails a failing RUN with the step, the Dockerfile line, its last output and the engine message, leaving no container', async () => {
    const marker = `fail-${Math.random().toString(36).slice(2)}`;
    const dir = await project('failing', {
      Dockerfile: ['FROM busybox:local', 'RUN echo preparing', '', `RUN echo ${marker} first && \\`, '    echo second >&2 && exit 7', 'CMD ["true"]'].join('\n'),
    });
    const failure = build(dir, { tag: [tag('failing')] });
    await expect(failure).rejects.toBeInstanceOf(PackError);
    const error = (await failure.catch((e: unknown) => e)) as PackError;
    expect(error.exitCode).toBe(ExitCode.failed);
    const [head, ...tail] = error.message.split('\n');
    expect(head).toMatch(/^Dockerfile:4: step 3\/\d+ \(RUN echo fail-\w+ first && +echo second >&2 && exit 7\) failed: The command '.*' returned a non-zero code: 7$/);
    // stdout and stderr of a RUN reach the builder's stream in either order.
    expect([...tail].sort()).toEqual([`  > ${marker} first`, '  > second'].sort());
    // forcerm: the failed step's container is gone.
    expect(await containersMentioning(marker)).toEqual([]);
  });

  it('refuses an invalid Dockerfile with file:line before sending anything', async () => {
    const dir = await project('invalid', { Dockerfile: 'FROM busybox:local\nRUN true\nCOPPY . /app\n' });
    const probe = counting(engine);
    const failure = build(dir, { tag: [tag('invalid')] }, { engine: probe });
    await expect(failure).rejects.toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow('Dockerfile:3: Unknown instruction: COPPY');
    expect(probe.builds).toBe(0);
  });

  it('skips an unchanged build (nothing sent, tags applied) and rebuilds when a file changes', async () => {
    const dir = await project('unchanged', {
      Dockerfile: 'FROM busybox:local\nCOPY . /src\nCMD ["cat", "/src/data.txt"]\n',
      'data.txt': 'v1\n',
      'lib/other.txt': 'other\n',
    });
    const cacheFile = join(root, 'stat-cache', 'unchanged.json');
    const probe = counting(engine);
    const first = await build(dir, { tag: [tag('unchanged-1')] }, { engine: probe, cacheFile });
    expect(probe.builds).toBe(1);

    const secondTag = tag('unchanged-2');
    const events: PackEvent[] = [];
    const second = await build(dir, { tag: [secondTag] }, { engine: probe, cacheFile, events });
    expect(probe.builds).toBe(1);
    expect(second).toMatchObject({ skipped: true, imageId: first.imageId, buildDigest: first.buildDigest, contextDigest: first.contextDigest });
    expect(events.filter((e) => e.type === 'context.progress' || e.type === 'build.step')).toEqual([]);
    expect((await docker.getImage(secondTag).inspect()).Id).toBe(first.imageId);
    expect(second.durations.totalMs).toBeLessThan(first.durations.totalMs);

    // --force builds anyway (the engine's cache makes it the same image content).
    const forced = await build(dir, { tag: [tag('unchanged-forced')], force: true }, { engine: probe, cacheFile });
    expect(forced.skipped).toBe(false);
    expect(probe.builds).toBe(2);

    await writeFile(join(dir, 'data.txt'), 'v2\n');
    const changedTag = tag('unchanged-3');
    const third = await build(dir, { tag: [changedTag] }, { engine: probe, cacheFile });
    expect(third.skipped).toBe(false);
    expect(third.imageId).not.toBe(first.imageId);
    expect(await run(changedTag)).toBe('v2\n');
  });

  it('aborts a running build on Ctrl-C: interrupted (exit 130), build cancelled, no container left', async () => {
    const marker = `abort-${Math.random().toString(36).slice(2)}`;
    const dir = await project('abort', { Dockerfile: `FROM busybox:local\nRUN echo ${marker} && sleep 60\n` });
    const controller = new AbortController();
    const started = Date.now();
    const failure = build(
      dir,
      { tag: [tag('abort')] },
      {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'build.output' && event.text === marker) {
            controller.abort(new PackError('INTERRUPTED', 'interrupted', { exitCode: ExitCode.interrupted }));
          }
        },
      },
    );
    await expect(failure).rejects.toMatchObject({ exitCode: ExitCode.interrupted });
    expect(Date.now() - started).toBeLessThan(30_000);
    // The engine notices the closed connection, stops the RUN and (forcerm) removes its container.
    const deadline = Date.now() + 20_000;
    while ((await containersMentioning(marker)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await containersMentioning(marker)).toEqual([]);
  });

  it('aborts the upload of a large context on Ctrl-C', async () => {
    const dir = await project('abort-upload', { Dockerfile: 'FROM busybox:local\nCOPY . /ctx\n' });
    // 512 MB of holes: costs no disk, takes a while to stream.
    await writeFile(join(dir, 'big.bin'), '');
    await truncate(join(dir, 'big.bin'), 512 * 1024 ** 2);
    const controller = new AbortController();
    const started = Date.now();
    let progress = 0;
    const failure = build(
      dir,
      { tag: [tag('abort-upload')], force: true },
      {
        onEvent: (event) => {
          if (event.type === 'context.progress' && ++progress === 2) controller.abort(new PackError('INTERRUPTED', 'interrupted', { exitCode: ExitCode.interrupted }));
        },
        signal: controller.signal,
      },
    );
    await expect(failure).rejects.toMatchObject({ exitCode: ExitCode.interrupted });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('reaches an ssh:// engine through `ssh … docker system dial-stdio`, as the docker CLI does', async () => {
    // A stand-in `ssh` that records its arguments and runs the remote command locally.
    const bin = join(root, 'fake-ssh');
    const argsFile = join(root, 'ssh-args.txt');
    await writeFile(
      bin,
      `#!/bin/sh\nprintf '%s\\n' "$@" >> '${argsFile}'\nwhile [ "$1" != "--" ]; do shift; done\nshift 2\nexec "$@"\n`,
    );
    await chmod(bin, 0o755);
    const endpoint = await resolveEndpoint({ host: 'ssh://builder@build-box.example:2222', env: {}, homeDir: root });
    const sshEngine = createEngine(endpoint, { sshCommand: bin });
    expect((await sshEngine.info()).apiVersion).toMatch(/^1\.\d+$/);
    const dir = await project('ssh', { Dockerfile: 'FROM busybox:local\nCMD ["echo", "over ssh"]\n' });
    const name = tag('ssh');
    await build(dir, { tag: [name] }, { engine: sshEngine });
    expect(await run(name)).toBe('over ssh\n');
    const args = (await readFile(argsFile, 'utf8')).split('\n').slice(0, 12);
    expect(args).toEqual(['-o', 'ConnectTimeout=30', '-T', '-l', 'builder', '-p', '2222', '--', 'build-box.example', 'docker', 'system', 'dial-stdio']);
  });
});
