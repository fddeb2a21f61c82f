/**
 * Token authentication end to end, with the real engine: a small token-auth front (this file) in
 * front of the open CI registry, answering 401 with `WWW-Authenticate: Bearer realm=…` the way
 * Docker Hub, GHCR or Harbor do, issuing tokens for user/password (GET) and for an identity token
 * (OAuth2 refresh_token POST). The engine pushes through it with the credentials pack resolved;
 * pack confirms each digest through it with the same credentials (HEAD with its own token).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import type { Engine, PushEngine } from '../../src/engine/engine.js';
import type { PackEvent } from '../../src/progress/events.js';
import { createHelperRunner } from '../../src/registry/credential-helper.js';
import { createCredentialResolver } from '../../src/registry/credentials.js';
import { parseDockerConfig } from '../../src/registry/docker-config.js';
import { pushTags } from '../../src/registry/push.js';
import { repositoryOf } from '../../src/registry/repository-name.js';
import { createDocker, describeEngine, removeImages, uniqueName } from '../support/engine.js';

const UPSTREAM = process.env['PACK_TEST_REGISTRY'] ?? '127.0.0.1:5000';
const USER = 'token-user';
const PASSWORD = 'token-pass';
const REFRESH = `refresh-${randomBytes(6).toString('hex')}`;

let root: string;
let engine: Engine & PushEngine;
let front: Server;
let host: string;
const tokens = new Set<string>();
/** What reached /token, for the assertions (method, grant, scope). */
const tokenRequests: { method: string; grant: string; scope: string; client: string }[] = [];
const images: string[] = [];

function issue(res: ServerResponse, field: 'token' | 'access_token'): void {
  const token = randomBytes(16).toString('hex');
  tokens.add(token);
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ [field]: token, expires_in: 300 }));
}

function handleToken(req: IncomingMessage, res: ServerResponse, url: URL, body: string): void {
  if (req.method === 'POST') {
    const form = new URLSearchParams(body);
    tokenRequests.push({ method: 'POST', grant: form.get('grant_type') ?? '', scope: form.get('scope') ?? '', client: form.get('client_id') ?? '' });
    if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === REFRESH) return issue(res, 'access_token');
    res.writeHead(401).end();
    return;
  }
  tokenRequests.push({ method: 'GET', grant: 'basic', scope: url.searchParams.getAll('scope').join(' '), client: url.searchParams.get('client_id') ?? '' });
  if (req.headers.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`) return issue(res, 'token');
  res.writeHead(401).end();
}

/** Forwards to the upstream registry, Host kept so that its Location headers point back here. */
function forward(req: IncomingMessage, res: ServerResponse): void {
  const [upstreamHost, upstreamPort] = UPSTREAM.split(':');
  const headers = { ...req.headers };
  delete headers.authorization;
  const upstream = request({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-push-token-'));
  front = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => handleToken(req, res, url, body));
      return;
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined || !tokens.has(bearer)) {
      const name = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
      res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="http://${host}/token",service="pack-front"${name ? `,scope="repository:${name}:pull,push"` : ''}`,
          'Content-Type': 'application/json',
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      req.resume();
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
  engine = createEngine(await resolveEndpoint({ env: process.env, homeDir: root }));
});
afterAll(async () => {
  await removeImages(images);
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  await rm(root, { recursive: true, force: true });
});

async function tagged(prefix: string, tag: string): Promise<{ path: string; reference: string }> {
  const path = `team/${uniqueName(prefix)}`;
  const reference = `${host}/${path}:${tag}`;
  images.push(reference);
  await createDocker().getImage('busybox:local').tag({ repo: `${host}/${path}`, tag });
  return { path, reference };
}

function resolverFor(config: unknown) {
  return createCredentialResolver({ config: parseDockerConfig('/test/config.json', JSON.stringify(config)).config, runHelper: createHelperRunner({ env: {} }) });
}

describeEngine('push through a token-auth registry (Bearer challenge)', () => {
  beforeAll(async () => {
    const status = await fetch(`http://${UPSTREAM}/v2/`).then(
      (r) => r.status,
      (e: unknown) => String(e),
    );
    if (status !== 200) throw new Error(`registry ${UPSTREAM} answered ${status} on /v2/: start the test registries with \`source .ci/registries.sh\``);
  });

  it('user and password: the engine and pack both get tokens; the digest is confirmed by the registry', async () => {
    const { path } = await tagged('token-basic', '1.0.0');
    tokenRequests.length = 0;
    const credentials = resolverFor({ auths: { [host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    const events: PackEvent[] = [];
    const result = await pushTags({ targets: [{ name: repositoryOf({ name: `${host}/${path}` }), tag: '1.0.0' }], credentials }, { engine, emit: (e) => events.push(e) });
    expect(result.pushed[0]?.confirmedBy).toBe('registry');
    // The engine asked for push scope, pack for pull only — both with the user's password, by GET.
    expect(tokenRequests).toContainEqual(expect.objectContaining({ method: 'GET', scope: `repository:${path}:push,pull` }));
    expect(tokenRequests.at(-1)).toEqual({ method: 'GET', grant: 'basic', scope: `repository:${path}:pull`, client: '' });
    // Read back through the front with a fresh token.
    const token = (await (await fetch(`http://${host}/token?service=pack-front`, { headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` } })).json()) as { token: string };
    const head = await fetch(`http://${host}/v2/${path}/manifests/1.0.0`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${token.token}`, Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(result.pushed[0]?.digest);
  });

  it('an identity token (docker login with OAuth): refresh_token grants, for the engine and for pack', async () => {
    const { path } = await tagged('token-identity', '2.0.0');
    tokenRequests.length = 0;
    const credentials = resolverFor({ auths: { [host]: { identitytoken: REFRESH } } });
    const result = await pushTags({ targets: [{ name: repositoryOf({ name: `${host}/${path}` }), tag: '2.0.0' }], credentials }, { engine, emit: () => {} });
    expect(result.pushed[0]?.confirmedBy).toBe('registry');
    expect(tokenRequests.every((r) => r.method === 'POST' && r.grant === 'refresh_token')).toBe(true);
    expect(tokenRequests.map((r) => r.client)).toEqual(expect.arrayContaining(['docker', 'pack']));
  });

  it('a wrong password at the token server: the one-line refusal naming the registry', async () => {
    const { path } = await tagged('token-wrong', '1.0.0');
    const credentials = resolverFor({ auths: { [host]: { auth: Buffer.from(`${USER}:nope`).toString('base64') } } });
    const push = pushTags({ targets: [{ name: repositoryOf({ name: `${host}/${path}` }), tag: '1.0.0' }], credentials }, { engine, emit: () => {} });
    await expect(push).rejects.toThrow(new RegExp(`^${host.replace(/\./g, '\\.')} refused the push \\(.+\\); credentials from auths\\["${host.replace(/\./g, '\\.')}"\\] in /test/config\\.json — log in with \`docker login ${host.replace(/\./g, '\\.')}\``));
  });
});
