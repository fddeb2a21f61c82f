/**
 * A Node app with a real npm dependency, built on the locally made node:local with `--network host`
 * (npm ci reaches the registry from the host's network): it runs, and after a source-only edit the
 * rebuild reuses the dependency layers (same RootFS layer digests) while the app's output changes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBuildOptions } from '../../src/build/build-options.js';
import { runBuild, type BuildResult } from '../../src/build/run-build.js';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import type { Engine } from '../../src/engine/engine.js';
import { createDocker, describeEngine, removeImages, uniqueName } from '../support/engine.js';

const PACKAGE_JSON = `${JSON.stringify({ name: 'pack-build-fixture', version: '1.0.0', private: true, dependencies: { ms: '2.1.3' } }, null, 2)}\n`;
const PACKAGE_LOCK = `${JSON.stringify(
  {
    name: 'pack-build-fixture',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'pack-build-fixture', version: '1.0.0', dependencies: { ms: '2.1.3' } },
      'node_modules/ms': {
        version: '2.1.3',
        resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz',
        integrity: 'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==',
        license: 'MIT',
      },
    },
  },
  null,
  2,
)}\n`;
const DOCKERFILE = [
  'FROM node:local',
  'WORKDIR /app',
  '# Manifests first: the install layer is reused until they change.',
  'COPY package.json package-lock.json ./',
  'RUN npm ci --omit=dev --no-audit --no-fund',
  'COPY index.js ./',
  'CMD ["node", "index.js"]',
  '',
].join('\n');
const source = (version: string): string => `const ms = require('ms');\nconsole.log('app ${version}: ' + ms(90000));\n`;

let dir: string;
let engine: Engine;
const images: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-build-node-'));
  engine = createEngine(await resolveEndpoint({ env: process.env, homeDir: dir }));
});
afterAll(async () => {
  await removeImages(images);
  await rm(dir, { recursive: true, force: true });
});

async function build(name: string): Promise<BuildResult> {
  const options = parseBuildOptions({ tag: [name], network: 'host', label: ['dev.pack.test=1'] }, {});
  const result = await runBuild(
    { contextDir: join(dir, 'app'), options, labels: options.labels, cacheFile: join(dir, 'stat-cache.json') },
    { engine, emit: () => {} },
  );
  images.push(name, result.imageId);
  return result;
}

async function run(image: string): Promise<string> {
  const docker = createDocker();
  const container = await docker.createContainer({ Image: image, Tty: true, Labels: { 'dev.pack.test': '1' }, HostConfig: { NetworkMode: 'none' } });
  try {
    await container.start();
    expect(((await container.wait()) as { StatusCode: number }).StatusCode).toBe(0);
    return ((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer).toString('utf8').replace(/\r\n/g, '\n');
  } finally {
    await container.remove({ force: true });
  }
}

describeEngine('pack build: a Node app with an npm dependency on node:local', () => {
  it('builds and runs it, and a source-only edit reuses the dependency layers', async () => {
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), PACKAGE_JSON);
    await writeFile(join(app, 'package-lock.json'), PACKAGE_LOCK);
    await writeFile(join(app, 'index.js'), source('v1'));
    await writeFile(join(app, 'Dockerfile'), DOCKERFILE);

    const first = await build(`${uniqueName('node-app')}:v1`);
    expect(await run(first.imageId)).toBe('app v1: 2m\n');

    await writeFile(join(app, 'index.js'), source('v2'));
    const second = await build(`${uniqueName('node-app')}:v2`);
    expect(second.skipped).toBe(false);
    expect(await run(second.imageId)).toBe('app v2: 2m\n');

    const layers = async (id: string): Promise<readonly string[]> => (await engine.inspectImage(id))?.layers ?? [];
    const [before, after] = [await layers(first.imageId), await layers(second.imageId)];
    const base = await layers('node:local');
    // node:local's layers, WORKDIR, manifests and the npm ci layer are shared; only COPY index.js differs.
    expect(before.length).toBe(after.length);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after.at(-1)).not.toBe(before.at(-1));
    expect(after.slice(0, base.length)).toEqual(base);
    expect(after.length).toBeGreaterThanOrEqual(base.length + 3);
    // WORKDIR, COPY of the manifests and npm ci were cache hits in the rebuild (FROM is never reported cached).
    expect(second.cachedSteps).toBeGreaterThanOrEqual(3);
  });
});
