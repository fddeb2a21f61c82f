/**
 * fetchManifestDigest against stand-in registries on 127.0.0.1 (node:http servers that speak the
 * parts of the distribution API involved): Bearer token flow (basic credentials and OAuth2 refresh
 * tokens), Basic challenges, a registry that omits Docker-Content-Digest on HEAD, 404, and the
 * insecure-registry HTTPS→HTTP fallback. Every request is recorded so the test can check what was
 * sent where, including that credentials only go where they belong.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchManifestDigest, MANIFEST_ACCEPT, RegistryHttpError } from '../../src/registry/registry-http.js';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}');
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers.accept ? { accept: req.headers.accept } : {}), body });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A registry with a token server on the same port: /token issues "tok-<user>" for pack:pack-secret or the refresh token "refresh-1". */
async function tokenRegistry(options: { digestHeader?: boolean } = {}) {
  let port = 0;
  const server = await serve((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      const form = new URLSearchParams(body);
      const ok = req.method === 'GET' ? req.headers.authorization === basic('pack', 'pack-secret') : form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'refresh-1';
      if (!ok) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(req.method === 'GET' ? { token: 'tok-basic' } : { access_token: 'tok-refresh' }));
      return;
    }
    if (url.pathname === '/v2/team/app/manifests/1.4.2') {
      if (req.headers.authorization !== 'Bearer tok-basic' && req.headers.authorization !== 'Bearer tok-refresh') {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="stand-in",scope="repository:team/app:pull"` }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', ...(options.digestHeader === false ? {} : { 'Docker-Content-Digest': DIGEST }) });
      res.end(req.method === 'GET' ? MANIFEST : undefined);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  });
  port = server.port;
  return server;
}

describe('fetchManifestDigest', () => {
  it('Bearer challenge: a token from the realm with basic credentials and the pull scope, then HEAD with the token', async () => {
    const { port, seen } = await tokenRegistry();
    const found = await fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: '1.4.2', auth: { username: 'pack', password: 'pack-secret' }, insecure: true });
    expect(found).toEqual({ digest: DIGEST, url: `http://127.0.0.1:${port}/v2/team/app/manifests/1.4.2` });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.authorization ?? '-'}`)).toEqual([
      `HEAD /v2/team/app/manifests/1.4.2 -`,
      `GET /token?service=stand-in&scope=repository%3Ateam%2Fapp%3Apull ${basic('pack', 'pack-secret')}`,
      'HEAD /v2/team/app/manifests/1.4.2 Bearer tok-basic',
    ]);
    // Every manifest type is accepted, so the registry never converts (and re-digests) the manifest.
    expect(seen[0]?.accept).toBe(MANIFEST_ACCEPT);
  });

  it('Bearer challenge with an identity token: OAuth2 refresh_token grant by POST', async () => {
    const { port, seen } = await tokenRegistry();
    const found = await fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: '1.4.2', auth: { identitytoken: 'refresh-1' }, insecure: true });
    expect(found.digest).toBe(DIGEST);
    const post = seen.find((s) => s.method === 'POST');
    expect(Object.fromEntries(new URLSearchParams(post?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      client_id: 'pack',
      scope: 'repository:team/app:pull',
      service: 'stand-in',
    });
    expect(seen.at(-1)?.authorization).toBe('Bearer tok-refresh');
  });

  it('wrong credentials at the token server → unauthorized', async () => {
    const { port } = await tokenRegistry();
    const failure = fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: '1.4.2', auth: { username: 'pack', password: 'nope' }, insecure: true });
    await expect(failure).rejects.toBeInstanceOf(RegistryHttpError);
    await expect(failure).rejects.toMatchObject({ failure: 'unauthorized', status: 401 });
  });

  it('no Docker-Content-Digest on HEAD: GET the manifest and hash its bytes', async () => {
    const { port, seen } = await tokenRegistry({ digestHeader: false });
    const found = await fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: '1.4.2', auth: { username: 'pack', password: 'pack-secret' }, insecure: true });
    expect(found.digest).toBe(DIGEST);
    expect(seen.at(-1)?.method).toBe('GET');
  });

  it('Basic challenge: the HEAD again with basic credentials; none → unauthorized', async () => {
    const { port, seen } = await serve((req, res) => {
      if (req.headers.authorization !== basic('pack', 'pack-secret')) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="pack-test"' }).end();
        return;
      }
      res.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end();
    });
    expect((await fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'app', tag: 't', auth: { username: 'pack', password: 'pack-secret' }, insecure: true })).digest).toBe(DIGEST);
    expect(seen.map((s) => s.authorization ?? '-')).toEqual(['-', basic('pack', 'pack-secret')]);
    await expect(fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'app', tag: 't', insecure: true })).rejects.toMatchObject({ failure: 'unauthorized' });
  });

  it('404 → not-found', async () => {
    const { port } = await tokenRegistry();
    await expect(
      fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: 'nope', auth: { username: 'pack', password: 'pack-secret' }, insecure: true }),
    ).rejects.toMatchObject({ failure: 'not-found', status: 404 });
  });

  it('a registry the engine treats as secure is only asked over HTTPS (an HTTP-only registry is then unreachable)', async () => {
    const { port, seen } = await tokenRegistry();
    await expect(fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'team/app', tag: '1.4.2', insecure: false })).rejects.toMatchObject({ failure: 'unreachable' });
    expect(seen).toEqual([]);
  });

  it('nothing listening → unreachable', async () => {
    const { port } = await serve(() => {});
    await new Promise((resolve) => servers.pop()?.close(resolve));
    await expect(fetchManifestDigest({ domain: `127.0.0.1:${port}`, path: 'a', tag: 'b', insecure: true })).rejects.toMatchObject({ failure: 'unreachable' });
  });
});
