/**
 * A registry killed in the middle of a push of a large layer, with the real engine and a real
 * registry process this test starts on its own free port (the shared CI registries are never
 * touched). Three outcomes, each checked against the registry afterwards:
 *   A. restarted within the engine's own upload retries (5 attempts, 5–20 s apart): the push completes;
 *   B. left dead: the engine gives up after its retries, pack retries with backoff a bounded number
 *      of times and fails cleanly, reporting nothing as pushed; a second push after the restart
 *      completes;
 *   C. restarted when pack is about to retry: pack's own retry completes the push.
 * Timings are printed for the record.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBuildOptions } from '../../src/build/build-options.js';
import { runBuild } from '../../src/build/run-build.js';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import type { Engine, PushEngine } from '../../src/engine/engine.js';
import type { PackEvent } from '../../src/progress/events.js';
import { createHelperRunner } from '../../src/registry/credential-helper.js';
import { createCredentialResolver } from '../../src/registry/credentials.js';
import { emptyConfig } from '../../src/registry/docker-config.js';
import { PushFailedError, pushTags, type PushResult } from '../../src/registry/push.js';
import { repositoryOf } from '../../src/registry/repository-name.js';
import { describeEngine, removeImages, uniqueName } from '../support/engine.js';

const LAYER_BYTES = 200 * 1000 * 1000;
const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

let root: string;
let engine: Engine & PushEngine;
let imageId: string;
const images: string[] = [];
let registry: ChildProcess | undefined;
let port: number;
let configFile: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/**
 * Each scenario gets a registry with empty storage: the engine remembers which blobs it pushed to a
 * registry and would mount the big layer from an earlier scenario's repository instead of sending it.
 */
async function freshRegistry(name: string): Promise<void> {
  await killRegistry();
  await writeFile(
    configFile,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(root, `storage-${name}`)}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  await startRegistry();
}

async function startRegistry(): Promise<void> {
  const child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-4000)));
  registry = child;
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited during startup: ${log}`);
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry on 127.0.0.1:${port} not answering after 10 s: ${log}`);
}

/** SIGKILL, by the pid of the process this test started; resolves once it is gone. */
async function killRegistry(): Promise<void> {
  const child = registry;
  registry = undefined;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function registryDigest(path: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://127.0.0.1:${port}/v2/${path}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

const credentials = createCredentialResolver({ config: emptyConfig('/nonexistent/config.json'), runHelper: createHelperRunner({ env: {} }) });

interface Watch {
  events: PackEvent[];
  /** Resolves when the big layer has sent this many bytes. */
  sent(bytes: number): Promise<void>;
  retry: Promise<void>;
}

/** Waits for `moment`, failing at once if the push ends first (a wait that can never come true must not hang the test). */
async function during(push: Promise<unknown>, moment: Promise<void>, what: string): Promise<void> {
  const ended = push.then(
    () => {
      throw new Error(`the push completed before ${what}`);
    },
    (error: unknown) => {
      throw new Error(`the push failed before ${what}: ${String(error)}`);
    },
  );
  ended.catch(() => {});
  await Promise.race([moment, ended]);
}

function watch(): Watch & { emit: (event: PackEvent) => void } {
  const events: PackEvent[] = [];
  const waiters: { bytes: number; resolve: () => void }[] = [];
  let onRetry: () => void = () => {};
  const retry = new Promise<void>((resolve) => (onRetry = resolve));
  return {
    events,
    retry,
    sent: (bytes) => new Promise<void>((resolve) => waiters.push({ bytes, resolve })),
    emit: (event) => {
      events.push(event);
      if (event.type === 'push.layer' && event.status === 'pushing' && event.total === LAYER_BYTES) {
        for (const waiter of waiters.filter((w) => (event.current ?? 0) >= w.bytes)) waiter.resolve();
      }
      if (event.type === 'push.retry') onRetry();
    },
  };
}

function push(path: string, tag: string, emit: (event: PackEvent) => void, policy = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 4_000 }): Promise<PushResult> {
  const repository = `127.0.0.1:${port}/${path}`;
  images.push(`${repository}:${tag}`);
  return engine.tagImage(imageId, repository, tag).then(() => pushTags({ targets: [{ name: repositoryOf({ name: repository }), tag }], credentials, retry: policy }, { engine, emit }));
}

const pushedTags = (events: PackEvent[]): string[] => events.flatMap((e) => (e.type === 'push.tag.done' ? [e.reference] : []));

describeEngine('push: registry killed mid-push of a large layer', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pack-push-killed-'));
    engine = createEngine(await resolveEndpoint({ env: process.env, homeDir: root }));
    port = await freePort();
    configFile = join(root, 'registry.yml');
    // An image with a 200 MB layer of random bytes (incompressible), over busybox:local.
    const context = join(root, 'context');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox:local\nCOPY blob /blob\n');
    const out = createWriteStream(join(context, 'blob'));
    const CHUNK = 4 * 1024 * 1024;
    for (let written = 0; written < LAYER_BYTES; written += CHUNK) {
      // A fresh buffer each time: the stream may still hold the previous one.
      const piece = randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, LAYER_BYTES - written)));
      if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const options = parseBuildOptions({ label: ['dev.pack.test=1'] }, {});
    const built = await runBuild({ contextDir: context, options, labels: options.labels, cacheFile: join(root, 'stat-cache.json') }, { engine, emit: () => {} });
    imageId = built.imageId;
    images.push(imageId);
  });
  afterAll(async () => {
    await killRegistry();
    await removeImages(images.reverse());
    await rm(root, { recursive: true, force: true });
  });

  it('A. restarted within the engine\'s own upload retries: the push completes and the digest is the registry\'s', async () => {
    await freshRegistry('a');
    const path = uniqueName('killed-a');
    const w = watch();
    const started = Date.now();
    const result = push(path, '1', w.emit);
    await during(result, w.sent(20_000_000), '20 MB of the big layer were sent');
    await killRegistry();
    const killedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await startRegistry();
    const done = await result;
    const tag = done.pushed[0];
    expect(tag?.confirmedBy).toBe('registry');
    expect(await registryDigest(path, '1')).toBe(tag?.digest);
    // The engine said it was retrying the layer; pack did not need to.
    expect(w.events.some((e) => e.type === 'push.layer' && e.status === 'retrying')).toBe(true);
    expect(w.events.some((e) => e.type === 'push.retry')).toBe(false);
    console.info(`[push-interrupted A] killed ${killedAt - started} ms in, restarted 2 s later; push done after ${Date.now() - started} ms in total`);
  });

  it('B. left dead: pack retries a bounded number of times, fails cleanly with nothing reported pushed; a second push after the restart completes', async () => {
    await freshRegistry('b');
    const path = uniqueName('killed-b');
    const w = watch();
    const started = Date.now();
    const result = push(path, '1', w.emit, { attempts: 2, baseDelayMs: 1_000, maxDelayMs: 1_000 });
    await during(result, w.sent(20_000_000), '20 MB of the big layer were sent');
    await killRegistry();
    const error = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    const failedAt = Date.now();
    expect(error).toBeInstanceOf(PushFailedError);
    const failure = error as PushFailedError;
    expect(failure.message).toMatch(/^push 127\.0\.0\.1:\d+\/pack-test-killed-b-[0-9a-f]+:1 failed 2 times, the last time with: .*connection refused/);
    expect(failure.exitCode).toBe(1);
    expect(failure.pushed).toEqual([]);
    expect(pushedTags(w.events)).toEqual([]);
    const retries = w.events.filter((e) => e.type === 'push.retry');
    expect(retries).toHaveLength(1);
    expect(w.events.at(-1)).toMatchObject({ type: 'push.failed', pushed: [], failed: [`127.0.0.1:${port}/${path}:1`] });

    await startRegistry();
    // Nothing was reported pushed, and indeed the registry has no such tag.
    expect(await registryDigest(path, '1')).toBeNull();
    const second = watch();
    const secondStarted = Date.now();
    const done = await push(path, '1', second.emit);
    const secondMs = Date.now() - secondStarted;
    expect(await registryDigest(path, '1')).toBe(done.pushed[0]?.digest);
    const bytes = done.pushed[0]?.bytesSent ?? 0;
    console.info(
      `[push-interrupted B] engine + pack gave up ${failedAt - started} ms after the start (pack retry: ${retries.map((r) => (r.type === 'push.retry' ? `${r.delayMs} ms after "${r.reason}"` : '')).join(', ')}); ` +
        `second push: ${secondMs} ms, ${(bytes / 1e6).toFixed(1)} MB sent (${(bytes / 1e6 / (secondMs / 1000)).toFixed(1)} MB/s; layers ${JSON.stringify(done.pushed[0]?.layers)})`,
    );
  });

  it("C. restarted while pack waits to retry: pack's own retry completes the push", async () => {
    await freshRegistry('c');
    const path = uniqueName('killed-c');
    const w = watch();
    const started = Date.now();
    const result = push(path, '1', w.emit, { attempts: 3, baseDelayMs: 3_000, maxDelayMs: 3_000 });
    await during(result, w.sent(20_000_000), '20 MB of the big layer were sent');
    await killRegistry();
    await during(result, w.retry, 'pack decided to retry');
    const retryAt = Date.now();
    await startRegistry();
    const done = await result;
    expect(done.pushed[0]?.attempts).toBe(2);
    expect(done.pushed[0]?.confirmedBy).toBe('registry');
    expect(await registryDigest(path, '1')).toBe(done.pushed[0]?.digest);
    expect(pushedTags(w.events)).toEqual([`127.0.0.1:${port}/${path}:1`]);
    console.info(`[push-interrupted C] pack retry ${retryAt - started} ms after the start; pushed after ${Date.now() - started} ms`);
  });
});
