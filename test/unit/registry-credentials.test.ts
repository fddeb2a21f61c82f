/**
 * The credential resolver against real files and real programs: temporary DOCKER_CONFIG
 * directories, and credential helpers that are small executable scripts on a temporary PATH
 * (each records what it was asked on stdin, so the protocol itself is checked).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError, PackError, UsageError } from '../../src/errors.js';
import { createHelperRunner } from '../../src/registry/credential-helper.js';
import { convertToHostname, createCredentialResolver, type CredentialResolverOptions } from '../../src/registry/credentials.js';
import { decodeAuth, dockerConfigDir, parseDockerConfig, readDockerConfig } from '../../src/registry/docker-config.js';
import { DOCKER_HUB_AUTH_KEY } from '../../src/registry/repository-name.js';

let root: string;
let configDir: string;
let binDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-registry-credentials-'));
  configDir = join(root, 'docker-config');
  binDir = join(root, 'bin');
  await mkdir(configDir);
  await mkdir(binDir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function writeConfig(config: unknown): Promise<void> {
  await writeFile(join(configDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
}

/**
 * A helper script `docker-credential-NAME`: appends "<action> <stdin>" to NAME.log, then prints
 * `answer` for a known server address and the not-found message otherwise.
 */
async function helper(name: string, answers: Record<string, { Username: string; Secret: string }>, options: { exitWith?: number; say?: string } = {}): Promise<void> {
  const cases = Object.entries(answers)
    .map(([server, creds]) => `  ${JSON.stringify(server).replace(/\$/g, '\\$')}) printf '%s' '${JSON.stringify({ ServerURL: server, ...creds })}' ;;`)
    .join('\n');
  const body =
    options.exitWith !== undefined
      ? `echo '${options.say ?? ''}'\nexit ${options.exitWith}`
      : `case "$input" in\n${cases}\n  *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac`;
  const script = `#!/bin/sh\ninput=$(cat)\nprintf '%s %s\\n' "$1" "$input" >> "${join(root, `${name}.log`)}"\n${body}\n`;
  const path = join(binDir, `docker-credential-${name}`);
  await writeFile(path, script);
  await chmod(path, 0o755);
}

async function helperLog(name: string): Promise<string[]> {
  return (await readFile(join(root, `${name}.log`), 'utf8')).trim().split('\n');
}

async function resolver(extra: Partial<CredentialResolverOptions> = {}) {
  const { config, warning } = await readDockerConfig(configDir);
  return {
    warning,
    resolver: createCredentialResolver({
      config,
      runHelper: createHelperRunner({ env: { PATH: `${binDir}:/usr/bin:/bin` } }),
      ...extra,
    }),
  };
}

describe('config.json', () => {
  it('lives in $DOCKER_CONFIG, else ~/.docker', () => {
    expect(dockerConfigDir({ DOCKER_CONFIG: '/etc/ci-docker' }, '/home/me')).toBe('/etc/ci-docker');
    expect(dockerConfigDir({ DOCKER_CONFIG: '' }, '/home/me')).toBe('/home/me/.docker');
    expect(dockerConfigDir({}, '/home/me')).toBe('/home/me/.docker');
  });

  it('a missing file is an empty config, without a warning', async () => {
    const { config, warning } = await readDockerConfig(join(root, 'nowhere'));
    expect(config.auths).toEqual({});
    expect(warning).toBeUndefined();
  });

  it('decodes auth as base64(user:password): auth beats username/password fields; NULs trimmed', () => {
    const { config } = parseDockerConfig('c.json', JSON.stringify({ auths: { a: { auth: b64('me:s3:cr:et\0\0'), username: 'other', password: 'other' }, b: { username: 'u', password: 'p' } } }));
    expect(config.auths['a']).toEqual({ username: 'me', password: 's3:cr:et' });
    expect(config.auths['b']).toEqual({ username: 'u', password: 'p' });
    expect(decodeAuth(b64(':nouser'))).toBeUndefined();
    expect(decodeAuth('bm90LWF1dGg')).toBeUndefined();
  });

  it('is ignored whole (as the docker CLI does) when it does not parse or an auth does not decode — and the warning never quotes the value', () => {
    const broken = parseDockerConfig('/x/config.json', '{"auths": ');
    expect(broken.config).toEqual({ path: '/x/config.json', auths: {}, credHelpers: {} });
    expect(broken.warning).toMatch(/^\/x\/config\.json: not valid JSON .*ignores the whole file/);
    const badAuth = parseDockerConfig('/x/config.json', JSON.stringify({ credsStore: 'desktop', auths: { r: { auth: 'not base64 s3cret' } } }));
    expect(badAuth.config.credsStore).toBeUndefined();
    expect(badAuth.warning).toContain('auths["r"].auth is not base64 of user:password');
    expect(badAuth.warning).not.toContain('s3cret');
  });
});

describe('credential lookup order (credHelpers[registry] → credsStore → auths)', () => {
  it('auths: the exact key', async () => {
    await writeConfig({ auths: { '127.0.0.1:5001': { auth: b64('pack:pack-secret') } } });
    const { resolver: r } = await resolver();
    expect(await r.resolve('127.0.0.1:5001')).toEqual({
      domain: '127.0.0.1:5001',
      key: '127.0.0.1:5001',
      auth: { username: 'pack', password: 'pack-secret', serveraddress: '127.0.0.1:5001' },
      source: `auths["127.0.0.1:5001"] in ${join(configDir, 'config.json')}`,
    });
  });

  it('auths: a URL key matches by hostname (legacy https://host/v1/ entries)', async () => {
    await writeConfig({ auths: { 'https://registry.example.com/v1/': { auth: b64('me:pw') } } });
    const { resolver: r } = await resolver();
    expect((await r.resolve('registry.example.com')).auth).toMatchObject({ username: 'me', password: 'pw' });
    expect((await r.resolve('registry.example.com:5000')).auth).toBeUndefined();
  });

  it('Docker Hub is looked up under https://index.docker.io/v1/, never "docker.io"', async () => {
    await writeConfig({ auths: { [DOCKER_HUB_AUTH_KEY]: { auth: b64('hubuser:hubpass') }, 'docker.io': { auth: b64('wrong:wrong') } } });
    const { resolver: r } = await resolver();
    const found = await r.resolve('docker.io');
    expect(found.key).toBe('https://index.docker.io/v1/');
    expect(found.auth).toEqual({ username: 'hubuser', password: 'hubpass', serveraddress: 'https://index.docker.io/v1/' });
  });

  it('identitytoken from auths is passed as such', async () => {
    await writeConfig({ auths: { 'ghcr.example': { identitytoken: 'refresh-token-value' } } });
    const { resolver: r } = await resolver();
    expect((await r.resolve('ghcr.example')).auth).toEqual({ identitytoken: 'refresh-token-value', serveraddress: 'ghcr.example' });
  });

  it('credsStore beats auths: with a store configured, the auths entry is not used even when the store has nothing', async () => {
    await helper('store', { 'a.example': { Username: 'from-store', Secret: 'store-secret' } });
    await writeConfig({ credsStore: 'store', auths: { 'a.example': { auth: b64('from-file:file-secret') }, 'b.example': { auth: b64('from-file:file-secret') } } });
    const { resolver: r } = await resolver();
    expect(await r.resolve('a.example')).toMatchObject({ auth: { username: 'from-store', password: 'store-secret' }, source: expect.stringContaining('credsStore in') });
    const b = await r.resolve('b.example');
    expect(b.auth).toBeUndefined();
    expect(await helperLog('store')).toEqual(['get a.example', 'get b.example']);
  });

  it('credHelpers[registry] beats credsStore and auths; other registries still use the store', async () => {
    await helper('test', { '127.0.0.1:5001': { Username: 'pack', Secret: 'pack-secret' } });
    await helper('store', { 'other.example': { Username: 'o', Secret: 'os' } });
    await writeConfig({ credHelpers: { '127.0.0.1:5001': 'test' }, credsStore: 'store', auths: { '127.0.0.1:5001': { auth: b64('file:file') } } });
    const { resolver: r } = await resolver();
    expect(await r.resolve('127.0.0.1:5001')).toMatchObject({ auth: { username: 'pack', password: 'pack-secret', serveraddress: '127.0.0.1:5001' }, source: expect.stringContaining('docker-credential-test') });
    expect((await r.resolve('other.example')).auth).toMatchObject({ username: 'o' });
    // The helper protocol: `get`, the server address on stdin without a newline.
    expect(await helperLog('test')).toEqual(['get 127.0.0.1:5001']);
  });

  it('a helper for Docker Hub is asked for https://index.docker.io/v1/', async () => {
    await helper('hub', { [DOCKER_HUB_AUTH_KEY]: { Username: 'hubuser', Secret: 'hubpass' } });
    await writeConfig({ credHelpers: { [DOCKER_HUB_AUTH_KEY]: 'hub' } });
    const { resolver: r } = await resolver();
    expect((await r.resolve('docker.io')).auth).toMatchObject({ username: 'hubuser', password: 'hubpass' });
    expect(await helperLog('hub')).toEqual([`get ${DOCKER_HUB_AUTH_KEY}`]);
  });

  it('a helper answering Username "<token>" gives an identity token, not a password', async () => {
    await helper('tok', { 'r.example': { Username: '<token>', Secret: 'refresh-me' } });
    await writeConfig({ credHelpers: { 'r.example': 'tok' } });
    const { resolver: r } = await resolver();
    expect((await r.resolve('r.example')).auth).toEqual({ identitytoken: 'refresh-me', serveraddress: 'r.example' });
  });

  it('a helper that is not on PATH is an environment error naming it and where it was configured', async () => {
    await writeConfig({ credHelpers: { 'r.example': 'absent' } });
    const { resolver: r } = await resolver();
    const failure = r.resolve('r.example');
    await expect(failure).rejects.toThrow(EnvironmentError);
    await expect(failure).rejects.toThrow('docker-credential-absent (credential helper absent) is not on PATH');
  });

  it('a helper that fails says how, and the failed lookup is not cached', async () => {
    await helper('broken', {}, { exitWith: 3, say: 'keychain is locked' });
    await writeConfig({ credHelpers: { 'r.example': 'broken' } });
    const { resolver: r } = await resolver();
    await expect(r.resolve('r.example')).rejects.toThrow(/docker-credential-broken get .* failed for r\.example with exit status 3: keychain is locked/);
    await expect(r.resolve('r.example')).rejects.toThrow(PackError);
    expect(await helperLog('broken')).toHaveLength(2);
  });

  it('a helper name that is a path is refused', async () => {
    await writeConfig({ credHelpers: { 'r.example': '../../bin/sh' } });
    const { resolver: r } = await resolver();
    await expect(r.resolve('r.example')).rejects.toThrow(UsageError);
  });

  it('asks each helper once per registry and command', async () => {
    await helper('test', { 'r.example': { Username: 'u', Secret: 's' } });
    await writeConfig({ credHelpers: { 'r.example': 'test' } });
    const { resolver: r } = await resolver();
    await Promise.all([r.resolve('r.example'), r.resolve('r.example')]);
    await r.resolve('r.example');
    expect(await helperLog('test')).toHaveLength(1);
  });

  it('no credentials: anonymous, and the source says where pack looked', async () => {
    await writeConfig({ auths: {} });
    const { resolver: r } = await resolver();
    const found = await r.resolve('127.0.0.1:5001');
    expect(found.auth).toBeUndefined();
    expect(found.source).toBe(`no credentials for 127.0.0.1:5001 in ${join(configDir, 'config.json')}`);
  });

  it('--username/--password-stdin apply to the push registries only', async () => {
    await writeConfig({ auths: { 'base.example': { auth: b64('base:base-secret') } } });
    const { resolver: r } = await resolver({ override: { username: 'ci', password: 'token', domains: ['push.example'] } });
    expect(await r.resolve('push.example')).toMatchObject({ auth: { username: 'ci', password: 'token' }, source: '--username/--password-stdin' });
    expect((await r.resolve('base.example')).auth).toMatchObject({ username: 'base' });
  });

  it('DOCKER_AUTH_CONFIG (newer CLIs, GitLab CI) comes before the config file; an unparseable value is ignored', async () => {
    await writeConfig({ auths: { 'r.example': { auth: b64('file:file') } } });
    const env = JSON.stringify({ auths: { 'r.example': { auth: b64('env:env-secret') } } });
    const withEnv = (await resolver({ envAuthConfig: env })).resolver;
    expect((await withEnv.resolve('r.example')).auth).toMatchObject({ username: 'env', password: 'env-secret' });
    const broken = (await resolver({ envAuthConfig: '{not json' })).resolver;
    expect((await broken.resolve('r.example')).auth).toMatchObject({ username: 'file' });
  });

  it('the build seam returns credentials keyed as the engine looks them up, only for registries that have some', async () => {
    await writeConfig({ auths: { [DOCKER_HUB_AUTH_KEY]: { auth: b64('hub:hubpw') }, 'private.example:5000': { auth: b64('p:ppw') } } });
    const { resolver: r } = await resolver();
    expect(await r.registryAuth(['docker.io', 'private.example:5000', 'public.example'])).toEqual({
      'https://index.docker.io/v1/': { username: 'hub', password: 'hubpw', serveraddress: 'https://index.docker.io/v1/' },
      'private.example:5000': { username: 'p', password: 'ppw', serveraddress: 'private.example:5000' },
    });
  });
});

describe('convertToHostname (cli/config/credentials)', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['http://127.0.0.1:5001', '127.0.0.1:5001'],
    ['https://Registry.Example.com:443/v2/', 'Registry.Example.com:443'],
    ['https://user@host.example/path', 'host.example'],
    ['https://[::1]:5000/', '[::1]:5000'],
    ['https://[::1]/', '::1'],
    ['registry.example.com/v1/', 'registry.example.com'],
    ['registry.example.com', 'registry.example.com'],
  ])('%s → %s', (input, expected) => {
    expect(convertToHostname(input)).toBe(expected);
  });
});
