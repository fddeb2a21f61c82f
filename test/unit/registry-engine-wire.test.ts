/**
 * What pack's dockerode engine puts on the wire for push and /distribution, checked against a
 * stand-in engine (HTTP on a unix socket): exactly one tag per push call, X-Registry-Auth as
 * base64url JSON (the engine decodes URL encoding and silently drops what it cannot decode), `{}`
 * for anonymous, no credentials in the URL, and an abort that closes the stream.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import type { EngineEndpoint } from '../../src/engine/endpoint.js';
import type { JsonMessage } from '../../src/engine/ndjson.js';
import { encodeRegistryAuth } from '../../src/engine/registry-config.js';
import { PackError } from '../../src/errors.js';

let dir: string;
let server: Server;
let socketPath: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-push-wire-'));
  socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => handler(req, res));
  server.listen(socketPath);
  await once(server, 'listening');
});
afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const endpoint = (): EngineEndpoint => ({ address: { kind: 'unix', socketPath }, url: `unix://${socketPath}`, source: 'flag', contextName: 'default', reason: 'test' });

async function collect(iterable: AsyncIterable<JsonMessage>): Promise<JsonMessage[]> {
  const out: JsonMessage[] = [];
  for await (const message of iterable) out.push(message);
  return out;
}

describe('encodeRegistryAuth', () => {
  it('is base64url with padding, decoding to the AuthConfig JSON', () => {
    // This password makes standard base64 emit "+" and "/", which the engine would mis-decode.
    const auth = { username: 'me', password: '>>>???~~~', serveraddress: '127.0.0.1:5001' };
    const header = encodeRegistryAuth(auth);
    expect(header).not.toMatch(/[+/]/);
    expect(header.length % 4).toBe(0);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(auth);
    expect(Buffer.from(encodeRegistryAuth(undefined), 'base64url').toString()).toBe('{}');
  });
});

describe('dockerode engine: push on the wire', () => {
  it('POST /images/REPO/push?tag=TAG with X-Registry-Auth, credentials nowhere in the URL, and the stream as messages', async () => {
    const seen: { method?: string; url?: string; auth?: string }[] = [];
    handler = (req, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers['x-registry-auth'] as string });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"The push refers to repository [127.0.0.1:5001/team/app]"}\n{"status":"Prep');
      res.end('aring","id":"aaaaaaaaaaaa"}\n{"aux":{"Tag":"1.4.2","Digest":"sha256:' + 'c'.repeat(64) + '","Size":1}}\n');
    };
    const engine = createEngine(endpoint());
    const auth = { username: 'pack', password: 'pack-secret', serveraddress: '127.0.0.1:5001' };
    const messages = await collect(engine.pushImage({ repository: '127.0.0.1:5001/team/app', tag: '1.4.2', auth }));
    expect(messages.map((m) => m.status ?? 'aux')).toEqual(['The push refers to repository [127.0.0.1:5001/team/app]', 'Preparing', 'aux']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/images/127.0.0.1:5001/team/app/push?tag=1.4.2');
    expect(JSON.parse(Buffer.from(seen[0]?.auth ?? '', 'base64url').toString('utf8'))).toEqual(auth);
  });

  it('anonymous pushes still send X-Registry-Auth ({}), as the docker CLI does', async () => {
    let header: string | undefined;
    handler = (req, res) => {
      header = req.headers['x-registry-auth'] as string;
      res.writeHead(200).end('{"aux":{"Tag":"t","Digest":"sha256:' + 'd'.repeat(64) + '"}}\n');
    };
    await collect(createEngine(endpoint()).pushImage({ repository: 'app', tag: 't' }));
    expect(Buffer.from(header ?? '', 'base64url').toString()).toBe('{}');
  });

  it('a 404 before the stream is a classified error; an abort mid-stream closes it and reports the interrupt', async () => {
    handler = (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such image: app:t"}');
    };
    await expect(collect(createEngine(endpoint()).pushImage({ repository: 'app', tag: 't' }))).rejects.toThrow(/No such image: app:t/);

    let closed = false;
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"status":"Preparing","id":"aaaaaaaaaaaa"}\n');
      req.socket.on('close', () => {
        closed = true;
      });
    };
    const controller = new AbortController();
    const iterator = createEngine(endpoint()).pushImage({ repository: 'app', tag: 't' }, controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ status: 'Preparing' });
    controller.abort(new PackError('INTERRUPTED', 'interrupted', { exitCode: 130 }));
    await expect(iterator.next()).rejects.toMatchObject({ exitCode: 130 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
  });

  it('/distribution carries the credentials and returns the descriptor; /info gives the insecure registries', async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-registry-auth'] ? 'auth' : '-'}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (req.url?.includes('/distribution/')) res.end(JSON.stringify({ Descriptor: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${'e'.repeat(64)}`, size: 527 } }));
      else res.end(JSON.stringify({ RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: { 'docker.io': { Secure: true }, 'plain.example:5000': { Secure: false } } } }));
    };
    const engine = createEngine(endpoint());
    expect(await engine.distribution('127.0.0.1:5001/app:1', { username: 'u', password: 'p' })).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: `sha256:${'e'.repeat(64)}`,
      size: 527,
    });
    expect(await engine.registrySettings()).toEqual({ insecureCidrs: ['127.0.0.0/8'], indexes: { 'docker.io': { secure: true }, 'plain.example:5000': { secure: false } } });
    expect(seen).toEqual(['GET /distribution/127.0.0.1:5001/app:1/json auth', 'GET /info -']);
  });
});
