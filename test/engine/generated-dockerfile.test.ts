/**
 * Generated Dockerfiles against the real engine: a Node fixture with a real npm dependency (lockfile
 * committed) is planned with `--base node:local`, and a Flask app served by gunicorn with
 * `--base python:local` (Debian's Python; PyPI is out of reach, so its pinned requirements are the
 * versions Debian installed and pip finds them satisfied). Each is built with the docker CLI's
 * classic builder (`pack build` is a separate command; this proves the generated text itself), run,
 * edited in its source only, and rebuilt. The proof of a cache-friendly Dockerfile is in the image layers: every
 * layer up to and including the dependency install is the same digest after the edit, and only the
 * code layer differs (RootFS.Layers, not timings).
 *
 * Builds use `--network host` (the engine has no bridge network; npm reaches the registry through
 * the host). Images are uniquely named, labelled dev.pack.test=1, and removed afterwards.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diskProjectFiles } from '../../src/detect/project-files.js';
import { createProjectPlan, type ProjectPlan } from '../../src/plan/project-plan.js';
import { createDocker, describeEngine, PACK_TEST_LABEL, removeImages, uniqueName } from '../support/engine.js';

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function docker(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', [...args], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.join(' ')} failed:\n${stderr ?? ''}\n${(stdout ?? '').split('\n').slice(-30).join('\n')}`);
  }
}

/** The build args `pack build` passes for the OCI labels (so the Dockerfile text never changes). */
function labelArgs(plan: ProjectPlan, revision: string): string[] {
  const values: Record<string, string> = {
    OCI_SOURCE: 'https://example.com/pack/fixture',
    OCI_REVISION: revision,
    OCI_VERSION: '1.0.0',
    OCI_CREATED: revision === 'rev-1' ? '2024-01-01T00:00:00Z' : '2024-01-02T00:00:00Z',
  };
  return plan.build.labelArgs.flatMap(({ arg }) => ['--build-arg', `${arg}=${values[arg] ?? ''}`]);
}

async function layers(image: string): Promise<string[]> {
  const info = await createDocker().getImage(image).inspect();
  return info.RootFS.Layers ?? [];
}

describeEngine('generated Dockerfile, built and run by the engine', () => {
  const images: string[] = [];
  const dirs: string[] = [];
  let baseLayers: string[] = [];

  let pythonLayers: string[] = [];

  beforeAll(async () => {
    baseLayers = await layers('node:local');
    try {
      pythonLayers = await layers('python:local');
    } catch (error) {
      throw new Error(`python:local is missing: make it with \`bash .ci/base-images.sh\` (${String(error)})`);
    }
  });

  afterAll(async () => {
    await removeImages(images);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** Copies a fixture to a fresh temp dir and writes the Dockerfile and .dockerignore pack plans for it. */
  async function project(fixture: string, base = 'node:local'): Promise<{ dir: string; plan: ProjectPlan }> {
    const dir = await mkdtemp(join(tmpdir(), `pack-generated-${fixture}-`));
    dirs.push(dir);
    await cp(join(FIXTURES, fixture), dir, { recursive: true });
    const { plan } = createProjectPlan(diskProjectFiles(dir), { flags: { base } });
    if (!plan.generated) throw new Error('no generated Dockerfile');
    await writeFile(join(dir, 'Dockerfile'), plan.generated.text);
    await writeFile(join(dir, '.dockerignore'), plan.generated.dockerignore);
    return { dir, plan };
  }

  async function build(dir: string, plan: ProjectPlan, tag: string, revision: string): Promise<string> {
    images.push(tag);
    return docker(['build', '--network', 'host', '--label', PACK_TEST_LABEL, '-t', tag, ...labelArgs(plan, revision), dir]);
  }

  it('single stage: builds, runs, and keeps the npm ci layer after a source-only edit', async () => {
    const { dir, plan } = await project('node-engine-app');
    expect(plan.generated?.template).toBe('templates/node.Dockerfile');
    expect(plan.build.images).toEqual(['node:local']);
    const name = uniqueName('generated-node');

    await build(dir, plan, `${name}:1`, 'rev-1');
    expect(await docker(['run', '--rm', '--network', 'none', `${name}:1`])).toBe('hello from pack: 2m\n');
    const first = await layers(`${name}:1`);

    const source = join(dir, 'index.js');
    await writeFile(source, (await readFile(source, 'utf8')).replace('hello from pack', 'edited app'));
    const output = await build(dir, plan, `${name}:2`, 'rev-2');
    expect(await docker(['run', '--rm', '--network', 'none', `${name}:2`])).toBe('edited app: 2m\n');
    const second = await layers(`${name}:2`);

    // node:local's layers, then WORKDIR, the manifests, npm ci, and the code.
    expect(first).toHaveLength(baseLayers.length + 4);
    expect(second).toHaveLength(first.length);
    expect(second.slice(0, -1)).toEqual(first.slice(0, -1));
    expect(second.at(-1)).not.toBe(first.at(-1));
    // The engine said so too: the install step came from the cache.
    expect(output).toMatch(/RUN npm ci --omit=dev && npm cache clean --force\n ---> Using cache\n/);

    const info = await createDocker().getImage(`${name}:2`).inspect();
    expect(info.Config.User).toBe('1000:1000');
    expect(info.Config.Labels).toMatchObject({ 'org.opencontainers.image.revision': 'rev-2', 'org.opencontainers.image.created': '2024-01-02T00:00:00Z' });
  });

  it('three stages (build script): the production node_modules layer survives a source-only edit', async () => {
    const { dir, plan } = await project('node-engine-build');
    expect(plan.generated?.template).toBe('templates/node-build.Dockerfile');
    const name = uniqueName('generated-node-build');

    await build(dir, plan, `${name}:1`, 'rev-1');
    expect(await docker(['run', '--rm', '--network', 'none', `${name}:1`])).toBe('built app: 1h\n');
    // Only production dependencies and the built output are in the final image, no build-stage node_modules twice.
    expect(await docker(['run', '--rm', '--network', 'none', `${name}:1`, 'sh', '-c', 'head -1 dist/main.js && ls node_modules'])).toBe('// built by build.js\nms\n');
    const first = await layers(`${name}:1`);

    const source = join(dir, 'src/main.js');
    await writeFile(source, (await readFile(source, 'utf8')).replace('built app', 'rebuilt app'));
    await build(dir, plan, `${name}:2`, 'rev-2');
    expect(await docker(['run', '--rm', '--network', 'none', `${name}:2`])).toBe('rebuilt app: 1h\n');
    const second = await layers(`${name}:2`);

    // node:local, WORKDIR, COPY --from=deps (production node_modules), COPY --from=build (the app).
    expect(first).toHaveLength(baseLayers.length + 3);
    expect(second.slice(0, -1)).toEqual(first.slice(0, -1));
    expect(second.at(-1)).not.toBe(first.at(-1));
  });

  it('Python: a Flask app served by gunicorn builds, answers HTTP, and keeps the pip layer after a source-only edit', async () => {
    const { dir, plan } = await project('python-engine-flask', 'python:local');
    expect(plan.generated?.template).toBe('templates/python.Dockerfile');
    expect(plan.build.images).toEqual(['python:local']);
    const name = uniqueName('generated-python');

    await build(dir, plan, `${name}:1`, 'rev-1');
    expect(await serve(`${name}:1`)).toBe('hello from pack\n');
    const first = await layers(`${name}:1`);

    const source = join(dir, 'app.py');
    await writeFile(source, (await readFile(source, 'utf8')).replace('hello from pack', 'edited app'));
    const output = await build(dir, plan, `${name}:2`, 'rev-2');
    expect(await serve(`${name}:2`)).toBe('edited app\n');
    const second = await layers(`${name}:2`);

    // python:local's layer, then WORKDIR, useradd, requirements.txt, pip install, and the code.
    expect(first).toHaveLength(pythonLayers.length + 5);
    expect(second.slice(0, -1)).toEqual(first.slice(0, -1));
    expect(second.at(-1)).not.toBe(first.at(-1));
    expect(output).toMatch(/RUN pip install --no-cache-dir -r requirements.txt\n ---> Using cache\n/);

    const info = await createDocker().getImage(`${name}:2`).inspect();
    expect(info.Config.User).toBe('10001:10001');
    expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(['8000/tcp']);
    expect(info.Config.Cmd).toEqual(['gunicorn', 'app:app']);
  });

  /**
   * Starts the image with its own CMD (no network but loopback) and fetches / from inside the
   * container once gunicorn listens; the container is removed afterwards.
   */
  async function serve(image: string): Promise<string> {
    const container = (await docker(['run', '--detach', '--network', 'none', '--label', PACK_TEST_LABEL, image])).trim();
    try {
      const fetch = 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8000/", timeout=2).read().decode(), end="")';
      let last: unknown;
      for (let attempt = 0; attempt < 50; attempt += 1) {
        try {
          return await docker(['exec', container, 'python', '-c', fetch]);
        } catch (error) {
          last = error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      const logs = await docker(['logs', container]).catch(() => '');
      throw new Error(`${image} did not answer on 127.0.0.1:8000 within 10 s; its logs:\n${logs}\n${String(last)}`);
    } finally {
      await docker(['rm', '--force', container]).catch(() => '');
    }
  }
});
