/**
 * `pack push`, `pack build --push` and `pack tags` as users run them — the built binary spawned in
 * temp dirs — against the real engine and the two local registries CI starts (.ci/registries.sh):
 * open on PACK_TEST_REGISTRY, htpasswd on PACK_TEST_AUTH_REGISTRY. What landed is read back from
 * the registries themselves (/v2/<name>/tags/list, HEAD …/manifests/<tag> → Docker-Content-Digest).
 * Credentials come from a temporary DOCKER_CONFIG (auths, a credential helper script on PATH), and
 * every run is checked for the password: it must never appear in any output.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, removeImages, uniqueName } from '../support/engine.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
// The defaults are .ci/registries.sh's own.
const OPEN = process.env['PACK_TEST_REGISTRY'] ?? '127.0.0.1:5000';
const AUTH = process.env['PACK_TEST_AUTH_REGISTRY'] ?? '127.0.0.1:5001';
const USER = process.env['PACK_TEST_AUTH_USER'] ?? 'pack';
const PASSWORD = process.env['PACK_TEST_AUTH_PASSWORD'] ?? 'pack-secret';
const SECRETS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), 'wrong-password-xyz'];
const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json';

let root: string;
const images: string[] = [];
/** name → digests pushed, deleted from the registries afterwards. */
const pushed: { registry: string; path: string; digest: string }[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pack(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string; interruptWhen?: RegExp }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: root,
        DOCKER_CONFIG: join(root, 'no-docker-config'),
        ...(process.env['DOCKER_HOST'] ? { DOCKER_HOST: process.env['DOCKER_HOST'] } : {}),
        ...options.env,
      },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    let interrupted = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (options.interruptWhen !== undefined && !interrupted && options.interruptWhen.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      // Whatever happened, no secret may have been printed.
      for (const secret of SECRETS) {
        if (stdout.includes(secret) || stderr.includes(secret)) reject(new Error(`pack ${args.join(' ')} printed a secret`));
      }
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function registry(method: string, host: string, path: string, auth?: boolean): Promise<Response> {
  return fetch(`http://${host}${path}`, {
    method,
    headers: { Accept: ACCEPT, ...(auth ? { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` } : {}) },
  });
}

async function tagsList(host: string, path: string, auth = false): Promise<string[]> {
  const response = await registry('GET', host, `/v2/${path}/tags/list`, auth);
  expect(response.status).toBe(200);
  return ((await response.json()) as { tags: string[] }).tags.sort();
}

async function registryDigest(host: string, path: string, tag: string, auth = false): Promise<string | null> {
  const response = await registry('HEAD', host, `/v2/${path}/manifests/${tag}`, auth);
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

/** A project whose image has a layer of its own (so blobs really upload), in a git repository tagged `tag`. */
async function project(name: string, options: { version?: string; gitTag?: string } = {}): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:local\nCOPY unique.txt /unique.txt\n');
  await writeFile(join(dir, 'unique.txt'), `${name} ${Math.random()} ${Date.now()}\n`);
  if (options.version !== undefined) await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: options.version }));
  const git = (...args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { stdio: 'ignore' });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${code}`))));
    });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'init');
  if (options.gitTag !== undefined) await git('tag', options.gitTag);
  return dir;
}

async function buildImage(dir: string, reference: string): Promise<void> {
  images.push(reference);
  const built = await pack(['build', '.', '-t', reference, '--label', 'dev.pack.test=1'], { cwd: dir });
  expect(built.stderr).not.toMatch(/^pack:/m);
  expect(built.code).toBe(0);
}

async function dockerConfig(name: string, config: unknown): Promise<string> {
  const dir = join(root, 'configs', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** stdout lines `NAME:TAG NAME@sha256:…` → tag → digest, checking the shape of each. */
function printedDigests(stdout: string, repository: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of stdout.trim().split('\n')) {
    const match = /^(\S+):([\w][\w.-]*) (\S+)@(sha256:[0-9a-f]{64})$/.exec(line);
    expect(match, `stdout line ${JSON.stringify(line)}`).not.toBeNull();
    expect(match?.[1]).toBe(repository);
    expect(match?.[3]).toBe(repository);
    result.set(match?.[2] as string, match?.[4] as string);
  }
  return result;
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  root = await mkdtemp(join(tmpdir(), 'pack-cli-push-'));
});
afterAll(async () => {
  await removeImages(images);
  // The registries keep nothing of ours: delete every manifest pushed (storage.delete is enabled).
  for (const entry of pushed) {
    await fetch(`http://${entry.registry}/v2/${entry.path}/manifests/${entry.digest}`, {
      method: 'DELETE',
      headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    }).catch(() => undefined);
  }
  await rm(root, { recursive: true, force: true });
});

describeEngine('pack push against real registries', () => {
  beforeAll(async () => {
    for (const [host, expected] of [
      [OPEN, 200],
      [AUTH, 401],
    ] as const) {
      const status = await fetch(`http://${host}/v2/`).then(
        (response) => response.status,
        (error: unknown) => `${String(error)}`,
      );
      if (status !== expected) throw new Error(`registry ${host} answered ${status} on /v2/ (expected ${expected}): start the test registries with \`source .ci/registries.sh\``);
    }
  });

  it('pushes a release: tags/list shows the whole tag set and every printed digest equals the registry\'s Docker-Content-Digest', async () => {
    const dir = await project('release', { version: '1.4.2', gitTag: 'v1.4.2' });
    const path = uniqueName('push-release');
    const repository = `${OPEN}/${path}`;
    const built = await pack(['build', '.', '--repository', repository, '--label', 'dev.pack.test=1'], { cwd: dir });
    expect(built.code).toBe(0);
    const tags = await pack(['tags', '--repository', repository, '--json'], { cwd: dir });
    const set = (JSON.parse(tags.stdout) as { tags: { tag: string }[] }).tags.map((t) => t.tag);
    images.push(...set.map((tag) => `${repository}:${tag}`));
    expect(set).toEqual(['1.4.2', expect.stringMatching(/^sha-[0-9a-f]{7}$/), '1.4', '1', 'latest']);

    const run = await pack(['push', '--repository', repository], { cwd: dir });
    expect(run.code).toBe(0);
    const digests = printedDigests(run.stdout, repository);
    expect([...digests.keys()]).toEqual(set);
    expect(new Set(digests.values()).size).toBe(1);
    expect(await tagsList(OPEN, path)).toEqual([...set].sort());
    for (const [tag, digest] of digests) {
      expect(await registryDigest(OPEN, path, tag)).toBe(digest);
      pushed.push({ registry: OPEN, path, digest });
    }
    // Plain progress: the credential source, the layer outcomes, each tag confirmed by the registry.
    expect(run.stderr).toContain(`Pushing ${repository}: ${set.join(', ')} (no credentials for ${OPEN} in ${join(root, 'no-docker-config', 'config.json')})`);
    expect(run.stderr).toMatch(/^ {2}[0-9a-f]{12}: Pushed$/m);
    expect(run.stderr).toContain(`Pushed ${repository}:latest  ${repository}@${digests.get('latest')}  (confirmed by the registry,`);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Pushed 5 tags in /);
  });

  it('pack build --push with a pre-release: builds, tags and pushes only the version and sha tags, printing digests after the image ID', async () => {
    const dir = await project('prerelease');
    const path = uniqueName('push-rc');
    const repository = `${OPEN}/${path}`;
    const run = await pack(['build', '.', '--repository', repository, '--version', 'v2.0.0-rc.1', '--push', '--label', 'dev.pack.test=1'], { cwd: dir });
    expect(run.code).toBe(0);
    const [imageId, ...rest] = run.stdout.trim().split('\n');
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const digests = printedDigests(rest.join('\n'), repository);
    images.push(...[...digests.keys()].map((tag) => `${repository}:${tag}`));
    expect([...digests.keys()]).toEqual(['2.0.0-rc.1', expect.stringMatching(/^sha-[0-9a-f]{7}$/)]);
    expect(await tagsList(OPEN, path)).toEqual([...digests.keys()].sort());
    for (const [tag, digest] of digests) {
      expect(await registryDigest(OPEN, path, tag)).toBe(digest);
      pushed.push({ registry: OPEN, path, digest });
    }
  });

  it('credentials from a DOCKER_CONFIG auths entry', async () => {
    const dir = await project('auths');
    const path = uniqueName('push-auths');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const config = await dockerConfig('auths', { auths: { [AUTH]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    const run = await pack(['push', reference], { cwd: dir, env: { DOCKER_CONFIG: config } });
    expect(run.code).toBe(0);
    const digest = printedDigests(run.stdout, `${AUTH}/${path}`).get('1.0.0');
    expect(await registryDigest(AUTH, path, '1.0.0', true)).toBe(digest);
    expect(run.stderr).toContain(`(auths["${AUTH}"] in ${join(config, 'config.json')})`);
    pushed.push({ registry: AUTH, path, digest: digest as string });
  });

  it('credentials from a credential helper (docker-credential-test on PATH), chosen by credHelpers over auths', async () => {
    const dir = await project('helper');
    const path = uniqueName('push-helper');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const bin = join(root, 'helper-bin');
    await mkdir(bin, { recursive: true });
    const log = join(root, 'helper.log');
    await writeFile(
      join(bin, 'docker-credential-test'),
      `#!/bin/sh\nserver=$(cat)\necho "$1 $server" >> ${log}\n[ "$1" = get ] && [ "$server" = "${AUTH}" ] || { echo 'credentials not found in native keychain'; exit 1; }\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"\n`,
    );
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    const config = await dockerConfig('helper', {
      credHelpers: { [AUTH]: 'test' },
      // Would fail: proves credHelpers wins.
      auths: { [AUTH]: { auth: Buffer.from(`${USER}:wrong-password-xyz`).toString('base64') } },
    });
    const run = await pack(['push', reference], { cwd: dir, env: { DOCKER_CONFIG: config, PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    expect(run.stderr).not.toMatch(/^pack:/m);
    expect(run.code).toBe(0);
    const digest = printedDigests(run.stdout, `${AUTH}/${path}`).get('1.0.0');
    expect(await registryDigest(AUTH, path, '1.0.0', true)).toBe(digest);
    expect(run.stderr).toContain('(docker-credential-test)');
    pushed.push({ registry: AUTH, path, digest: digest as string });
  });

  it('--username with --password-stdin', async () => {
    const dir = await project('stdin');
    const path = uniqueName('push-stdin');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const run = await pack(['push', reference, '--username', USER, '--password-stdin'], { cwd: dir, input: `${PASSWORD}\n` });
    expect(run.code).toBe(0);
    const digest = printedDigests(run.stdout, `${AUTH}/${path}`).get('1.0.0');
    expect(await registryDigest(AUTH, path, '1.0.0', true)).toBe(digest);
    pushed.push({ registry: AUTH, path, digest: digest as string });
  });

  it('a wrong password: one line naming the registry and how to log in, exit 1, nothing pushed', async () => {
    const dir = await project('wrong');
    const path = uniqueName('push-wrong');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const config = await dockerConfig('wrong', { auths: { [AUTH]: { auth: Buffer.from(`${USER}:wrong-password-xyz`).toString('base64') } } });
    const run = await pack(['push', reference], { cwd: dir, env: { DOCKER_CONFIG: config } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('pack:') || line.startsWith('hint:'));
    expect(errors).toEqual([
      `pack: ${AUTH} refused the push (unauthorized: authentication required); credentials from auths["${AUTH}"] in ${join(config, 'config.json')} — log in with \`docker login ${AUTH}\`, or pass --username with --password-stdin`,
    ]);
    expect(await registryDigest(AUTH, path, '1.0.0', true)).toBeNull();
  });

  it('no credentials at all: the same one line, saying none were found', async () => {
    const dir = await project('none');
    const path = uniqueName('push-none');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const run = await pack(['push', reference, '--quiet'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `pack: ${AUTH} refused the push (no basic auth credentials); no credentials were found (in ${join(root, 'no-docker-config', 'config.json')}) — log in with \`docker login ${AUTH}\`, or pass --username with --password-stdin\n`,
    );
  });

  it('never prints a credential, even with DEBUG=modem (docker-modem would log the X-Registry-Auth header)', async () => {
    const dir = await project('debug');
    const path = uniqueName('push-debug');
    const reference = `${AUTH}/${path}:1.0.0`;
    await buildImage(dir, reference);
    const config = await dockerConfig('debug', { auths: { [AUTH]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    // pack() rejects when a secret appears in stdout or stderr.
    const run = await pack(['push', reference, '--json', '--debug'], { cwd: dir, env: { DOCKER_CONFIG: config, DEBUG: 'modem,other' } });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('X-Registry-Auth');
    const header = Buffer.from(JSON.stringify({ username: USER, password: PASSWORD, serveraddress: AUTH })).toString('base64url');
    expect(run.stderr + run.stdout).not.toContain(header.slice(0, 24));
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; pushed?: { digest: string }[] });
    const result = lines.at(-1);
    expect(result?.type).toBe('result');
    pushed.push({ registry: AUTH, path, digest: result?.pushed?.[0]?.digest as string });
  });

  it('--json: events one per line, then the result object with each tag, digest and how it was confirmed', async () => {
    const dir = await project('json');
    const path = uniqueName('push-json');
    const repository = `${OPEN}/${path}`;
    await buildImage(dir, `${repository}:a`);
    await buildImage(dir, `${repository}:b`);
    const run = await pack(['push', `${repository}:a`, `${repository}:b`, '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const types = lines.map((line) => line['type']);
    expect(types[0]).toBe('push.start');
    expect(types.filter((t) => t === 'push.tag.done')).toHaveLength(2);
    expect(types.at(-2)).toBe('push.done');
    const result = lines.at(-1) as { type: string; pushed: { reference: string; digest: string; pinned: string; confirmedBy: string; attempts: number }[] };
    expect(result.type).toBe('result');
    expect(result.pushed.map((t) => [t.reference, t.confirmedBy, t.attempts])).toEqual([
      [`${repository}:a`, 'registry', 1],
      [`${repository}:b`, 'registry', 1],
    ]);
    for (const tag of result.pushed) {
      expect(await registryDigest(OPEN, path, tag.reference.split(':').at(-1) as string)).toBe(tag.digest);
      pushed.push({ registry: OPEN, path, digest: tag.digest });
    }
  });

  it('pack build pulls a private base image with the same credentials (X-Registry-Config from the resolver)', async () => {
    const base = await project('private-base');
    const path = uniqueName('private-base');
    const reference = `${AUTH}/${path}:1`;
    await buildImage(base, reference);
    const config = await dockerConfig('base', { auths: { [AUTH]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    const published = await pack(['push', reference, '--quiet'], { cwd: base, env: { DOCKER_CONFIG: config } });
    expect(published.code).toBe(0);
    pushed.push({ registry: AUTH, path, digest: printedDigests(published.stdout, `${AUTH}/${path}`).get('1') as string });
    // Gone locally: the build must pull it from the htpasswd registry.
    await removeImages([reference]);
    const app = join(root, 'private-app');
    await mkdir(app, { recursive: true });
    await writeFile(join(app, 'Dockerfile'), `FROM ${reference}\nRUN cat /unique.txt > /copied.txt\n`);
    const anonymous = await pack(['build', '.', '--label', 'dev.pack.test=1'], { cwd: app });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/no basic auth credentials|unauthorized|pull access denied/);
    const withCredentials = await pack(['build', '.', '--label', 'dev.pack.test=1'], { cwd: app, env: { DOCKER_CONFIG: config } });
    expect(withCredentials.stderr).not.toMatch(/^pack:/m);
    expect(withCredentials.code).toBe(0);
    images.push(withCredentials.stdout.trim(), reference);
  });

  it('Ctrl-C mid-push: exit 130, nothing reported pushed, and the engine abandons the push (the tag never appears)', async () => {
    const dir = await project('sigint');
    await writeFile(join(dir, 'big.bin'), randomBytes(48 * 1000 * 1000));
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox:local\nCOPY unique.txt big.bin /\n');
    const path = uniqueName('push-sigint');
    const reference = `${OPEN}/${path}:1`;
    await buildImage(dir, reference);
    const run = await pack(['push', reference], { cwd: dir, interruptWhen: /: Pushing \d/ });
    expect(run.code).toBe(130);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/^Pushed /m);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe('pack: interrupted');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await registryDigest(OPEN, path, '1')).toBeNull();
  });

  it('refuses before sending anything: a tag that does not exist locally (exit 2), flags without their partner (exit 2)', async () => {
    const missing = await pack(['push', `${OPEN}/${uniqueName('absent')}:1.0`], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toMatch(/^pack: no local image .*: nothing was pushed$/);
    expect((await pack(['push', 'app:1', '--password-stdin'], { cwd: root })).stderr.split('\n')[0]).toBe('pack: --password-stdin needs --username');
    expect((await pack(['push', 'app:1', '--version', '1.0.0'], { cwd: root })).stderr.split('\n')[0]).toBe("pack: --version needs --repository (it applies to the project's tag set)");
    expect((await pack(['build', '.', '--push'], { cwd: root })).stderr.split('\n')[0]).toBe('pack: --push: nothing to push');
  });
});
