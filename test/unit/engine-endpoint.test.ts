import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHost, resolveEndpoint } from '../../src/engine/endpoint.js';
import { UsageError } from '../../src/errors.js';

let home: string;
let config: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'pack-endpoint-'));
  config = join(home, '.docker');
  await mkdir(config, { recursive: true });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Lays out a context as `docker context create` does: meta under sha256(name), TLS files beside. */
async function writeContext(dir: string, name: string, host: string, options: { skipTls?: boolean; tls?: string[] } = {}): Promise<string> {
  const id = createHash('sha256').update(name).digest('hex');
  const metaDir = join(dir, 'contexts', 'meta', id);
  await mkdir(metaDir, { recursive: true });
  await writeFile(
    join(metaDir, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: { Description: '' }, Endpoints: { docker: { Host: host, SkipTLSVerify: options.skipTls ?? false } } }),
  );
  const tlsDir = join(dir, 'contexts', 'tls', id, 'docker');
  for (const file of options.tls ?? []) {
    await mkdir(tlsDir, { recursive: true });
    await writeFile(join(tlsDir, file), 'pem');
  }
  return tlsDir;
}

describe('resolveEndpoint', () => {
  it('defaults to the unix socket when nothing is configured', async () => {
    const endpoint = await resolveEndpoint({ env: {}, homeDir: home });
    expect(endpoint.address).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(endpoint.source).toBe('default');
    expect(endpoint.url).toBe('unix:///var/run/docker.sock');
  });

  it('takes DOCKER_HOST unix and tcp addresses', async () => {
    const unix = await resolveEndpoint({ env: { DOCKER_HOST: 'unix:///tmp/x.sock' }, homeDir: home });
    expect(unix.address).toEqual({ kind: 'unix', socketPath: '/tmp/x.sock' });
    expect(unix.source).toBe('DOCKER_HOST');
    expect(unix.reason).toBe('DOCKER_HOST=unix:///tmp/x.sock');
    const tcp = await resolveEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2376' }, homeDir: home });
    // No DOCKER_TLS_VERIFY: plain HTTP even on 2376 (dockerode would guess https from the port; the CLI does not).
    expect(tcp.address).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 2376, basePath: '' });
  });

  it('treats any non-empty DOCKER_TLS_VERIFY as on, with certificates from DOCKER_CERT_PATH', async () => {
    const certs = join(home, 'certs');
    await mkdir(certs);
    await writeFile(join(certs, 'cert.pem'), 'c');
    await writeFile(join(certs, 'key.pem'), 'k');
    for (const value of ['1', '0', 'false', 'yes']) {
      const endpoint = await resolveEndpoint({
        env: { DOCKER_HOST: 'tcp://engine.example:2376', DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: certs },
        homeDir: home,
      });
      expect(endpoint.address).toEqual({
        kind: 'tcp',
        host: 'engine.example',
        port: 2376,
        basePath: '',
        tls: { verify: true, caFile: join(certs, 'ca.pem'), certFile: join(certs, 'cert.pem'), keyFile: join(certs, 'key.pem') },
      });
      expect(endpoint.reason).toContain('TLS, verified');
    }
    const off = await resolveEndpoint({ env: { DOCKER_HOST: 'tcp://engine.example:2376', DOCKER_TLS_VERIFY: '' }, homeDir: home });
    expect(off.address).toEqual({ kind: 'tcp', host: 'engine.example', port: 2376, basePath: '' });
  });

  it('looks for TLS files in the config dir when DOCKER_CERT_PATH is unset, dropping a missing client cert', async () => {
    const endpoint = await resolveEndpoint({ env: { DOCKER_TLS_VERIFY: '1' }, homeDir: home });
    // No host with TLS on: the CLI's default is tcp://localhost:2376.
    expect(endpoint.address).toEqual({ kind: 'tcp', host: 'localhost', port: 2376, basePath: '', tls: { verify: true, caFile: join(config, 'ca.pem') } });
  });

  it('gives --host precedence over DOCKER_HOST, DOCKER_CONTEXT and the config', async () => {
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    await writeContext(config, 'remote', 'tcp://remote:2375');
    const endpoint = await resolveEndpoint({
      host: 'unix:///run/other.sock',
      env: { DOCKER_HOST: 'tcp://ignored:1', DOCKER_CONTEXT: 'remote' },
      homeDir: home,
    });
    expect(endpoint.address).toEqual({ kind: 'unix', socketPath: '/run/other.sock' });
    expect(endpoint.source).toBe('flag');
  });

  it('gives DOCKER_HOST precedence over DOCKER_CONTEXT and currentContext', async () => {
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    await writeContext(config, 'remote', 'tcp://remote:2375');
    const endpoint = await resolveEndpoint({ env: { DOCKER_HOST: 'unix:///a.sock', DOCKER_CONTEXT: 'remote' }, homeDir: home });
    expect(endpoint.source).toBe('DOCKER_HOST');
  });

  it('resolves DOCKER_CONTEXT through contexts/meta/<sha256 of the name>/meta.json', async () => {
    await writeContext(config, 'build-box', 'ssh://builder@10.1.2.3:2222');
    const endpoint = await resolveEndpoint({ env: { DOCKER_CONTEXT: 'build-box' }, homeDir: home });
    expect(endpoint.address).toEqual({ kind: 'ssh', host: '10.1.2.3', user: 'builder', port: 2222 });
    expect(endpoint.contextName).toBe('build-box');
    expect(endpoint.source).toBe('DOCKER_CONTEXT');
  });

  it('resolves currentContext from $DOCKER_CONFIG/config.json with the context TLS files', async () => {
    const dockerConfig = join(home, 'elsewhere');
    await mkdir(dockerConfig);
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'prod' }));
    const tlsDir = await writeContext(dockerConfig, 'prod', 'tcp://prod.example:2376', { tls: ['ca.pem', 'cert.pem', 'key.pem'] });
    const endpoint = await resolveEndpoint({ env: { DOCKER_CONFIG: dockerConfig }, homeDir: home });
    expect(endpoint.source).toBe('config');
    expect(endpoint.address).toEqual({
      kind: 'tcp',
      host: 'prod.example',
      port: 2376,
      basePath: '',
      tls: { verify: true, caFile: join(tlsDir, 'ca.pem'), certFile: join(tlsDir, 'cert.pem'), keyFile: join(tlsDir, 'key.pem') },
    });
    expect(endpoint.reason).toContain(`currentContext "prod" in ${join(dockerConfig, 'config.json')}`);
  });

  it('honours SkipTLSVerify of a context', async () => {
    await writeContext(config, 'lab', 'tcp://lab:2376', { skipTls: true, tls: ['cert.pem', 'key.pem'] });
    const endpoint = await resolveEndpoint({ context: 'lab', env: {}, homeDir: home });
    expect(endpoint.address.kind === 'tcp' && endpoint.address.tls?.verify).toBe(false);
    expect(endpoint.source).toBe('context-flag');
  });

  it('treats the context named "default" as DOCKER_HOST or the default socket', async () => {
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    const endpoint = await resolveEndpoint({ env: {}, homeDir: home });
    expect(endpoint.address).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(endpoint.contextName).toBe('default');
  });

  it('refuses a context that does not exist, naming where it came from', async () => {
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'gone' }));
    const failure = resolveEndpoint({ env: {}, homeDir: home });
    await expect(failure).rejects.toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow(/docker context "gone" \(from currentContext "gone" in .*config\.json\) does not exist/);
  });

  it('refuses --host together with --context', async () => {
    await expect(resolveEndpoint({ host: 'unix:///a', context: 'b', env: {}, homeDir: home })).rejects.toThrow(/--host and --context/);
  });

  it('refuses a config.json that is not JSON, naming the file', async () => {
    await writeFile(join(config, 'config.json'), '{ nope');
    await expect(resolveEndpoint({ env: {}, homeDir: home })).rejects.toThrow(/config\.json is not valid JSON/);
  });
});

describe('parseHost', () => {
  it('parses like docker/cli opts.ParseHost', () => {
    expect(parseHost('unix://', undefined, 't')).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseHost('localhost:4243', undefined, 't')).toEqual({ kind: 'tcp', host: 'localhost', port: 4243, basePath: '' });
    expect(parseHost('tcp://1.2.3.4', undefined, 't')).toEqual({ kind: 'tcp', host: '1.2.3.4', port: 2375, basePath: '' });
    expect(parseHost('tcp://[::1]:2375/prefix', undefined, 't')).toEqual({ kind: 'tcp', host: '::1', port: 2375, basePath: '/prefix' });
    expect(parseHost('ssh://me@box/run/user/1000/docker.sock', undefined, 't')).toEqual({
      kind: 'ssh',
      host: 'box',
      user: 'me',
      socketPath: '/run/user/1000/docker.sock',
    });
  });

  it('rejects what the docker CLI rejects', () => {
    expect(() => parseHost('http://x:1', undefined, 'DOCKER_HOST=http://x:1')).toThrow(/invalid engine address "http:\/\/x:1" \(DOCKER_HOST=http:\/\/x:1\): unknown scheme/);
    expect(() => parseHost('npipe:////./pipe/docker_engine', undefined, 't')).toThrow(/Windows/);
    expect(() => parseHost('ssh://me:secret@box', undefined, 't')).toThrow(/passwords/);
  });
});
