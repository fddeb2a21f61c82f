/**
 * What pack's dockerode engine puts on the wire, checked against a stand-in HTTP server on a unix
 * socket (the engine API's transport): query parameters, the X-Registry-Config encoding, a
 * streamed chunked body with backpressure, and that DOCKER_HOST in the process cannot redirect an
 * endpoint pack resolved itself. (Real-engine behaviour is in test/engine/build-*.)
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/dockerode-engine.js';
import type { EngineEndpoint } from '../../src/engine/endpoint.js';
import { EngineRequestError } from '../../src/engine/engine-errors.js';
import { ExitCode } from '../../src/errors.js';

const ID = `sha256:${'ab'.repeat(32)}`;

let dir: string;
let server: Server;
let socketPath: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-standin-'));
  socketPath = join(dir, 'engine.sock');
  server = createServer((req, res) => handler(req, res));
  server.listen(socketPath);
  await once(server, 'listening');
});
afterEach(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const endpoint = (): EngineEndpoint => ({
  address: { kind: 'unix', socketPath },
  url: `unix://${socketPath}`,
  source: 'flag',
  contextName: 'default',
  reason: `--host unix://${socketPath}`,
});

const finishBuild = (res: ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(`{"stream":"Step 1/1 : FROM x\\n"}\n{"aux":{"ID":"${ID}"}}\n`);
};

/** A context stream that counts what it has produced. */
function counter(total: number, chunk = 64 * 1024): Readable & { produced: number } {
  let produced = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (produced >= total) return void this.push(null);
      produced += chunk;
      (stream as unknown as { produced: number }).produced = produced;
      this.push(Buffer.alloc(chunk));
    },
  }) as Readable & { produced: number };
  stream.produced = 0;
  return stream;
}

describe('dockerode engine on the wire', () => {
  it('sends the build flags as /build query parameters, with forcerm and every tag', async () => {
    let url = '';
    handler = (req, res) => {
      url = req.url ?? '';
      req.resume();
      req.on('end', () => finishBuild(res));
    };
    const result = await createEngine(endpoint()).build(
      {
        context: Readable.from([Buffer.alloc(1024)]),
        dockerfile: '.dockerfile.abc',
        tags: ['app:1', 'app:latest'],
        buildArgs: { A: '1' },
        labels: { 'dev.pack.test': '1' },
        target: 'release',
        platform: 'linux/amd64',
        noCache: true,
        pull: true,
        network: 'host',
      },
      {},
    );
    expect(result.imageId).toBe(ID);
    const query = new URL(url, 'http://engine').searchParams;
    expect(query.getAll('t')).toEqual(['app:1', 'app:latest']);
    expect(Object.fromEntries([...query].filter(([k]) => k !== 't'))).toEqual({
      dockerfile: '.dockerfile.abc',
      rm: 'true',
      forcerm: 'true',
      buildargs: '{"A":"1"}',
      labels: '{"dev.pack.test":"1"}',
      target: 'release',
      platform: 'linux/amd64',
      nocache: 'true',
      pull: 'true',
      networkmode: 'host',
    });
  });

  it('encodes X-Registry-Config as base64url JSON (the engine decodes URL encoding)', async () => {
    let header: string | undefined;
    handler = (req, res) => {
      header = req.headers['x-registry-config'] as string | undefined;
      req.resume();
      req.on('end', () => finishBuild(res));
    };
    // Chosen so that standard base64 would contain '+' and '/'.
    const registryConfig = { 'registry.example:5000': { username: 'me', password: '>>>???~~~' } };
    await createEngine(endpoint()).build(
      { context: Readable.from([Buffer.alloc(10)]), dockerfile: 'Dockerfile', tags: [], buildArgs: {}, labels: {}, registryConfig },
      {},
    );
    expect(header).toBeDefined();
    expect(header).not.toMatch(/[+/]/);
    expect(JSON.parse(Buffer.from(header as string, 'base64url').toString('utf8'))).toEqual(registryConfig);
  });

  it('streams the context as a chunked body and stops producing while the engine does not read', async () => {
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let received = 0;
    let producedWhilePaused = 0;
    const context = counter(64 * 1024 * 1024);
    handler = (req, res) => {
      contentLength = req.headers['content-length'];
      transferEncoding = req.headers['transfer-encoding'];
      req.pause();
      setTimeout(() => {
        producedWhilePaused = context.produced;
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('end', () => finishBuild(res));
        req.resume();
      }, 500);
    };
    await createEngine(endpoint()).build({ context, dockerfile: 'Dockerfile', tags: [], buildArgs: {}, labels: {} }, {});
    expect(contentLength).toBeUndefined();
    expect(transferEncoding).toBe('chunked');
    expect(received).toBe(64 * 1024 * 1024);
    // Socket buffers and the stream's own buffer only: far below the 64 MB context.
    expect(producedWhilePaused).toBeLessThan(8 * 1024 * 1024);
  });

  it('reaches the endpoint pack resolved even when DOCKER_HOST points elsewhere', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ Version: '99.0', ApiVersion: '1.99', Os: 'linux', Arch: 'amd64' }));
    };
    const saved = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'tcp://127.0.0.1:9';
    try {
      expect(await createEngine(endpoint()).info()).toEqual({ version: '99.0', apiVersion: '1.99', os: 'linux', arch: 'amd64' });
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
  });

  it('reports a refusal before the stream by its status, with the engine message', async () => {
    handler = (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"message":"invalid reference format: repository name must be lowercase"}');
      });
    };
    const failure = createEngine(endpoint()).build(
      { context: Readable.from([Buffer.alloc(10)]), dockerfile: 'Dockerfile', tags: ['X'], buildArgs: {}, labels: {} },
      {},
    );
    await expect(failure).rejects.toBeInstanceOf(EngineRequestError);
    await expect(failure).rejects.toThrow('build: the engine answered 500: invalid reference format: repository name must be lowercase');
  });

  it('fails on an error line inside a 200 stream', async () => {
    handler = (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"stream":"Step 1/2 : FROM x\\n"}\n{"stream":"Step 2/2 : COPY a /a\\n"}\n{"errorDetail":{"message":"COPY failed: no a"},"error":"COPY failed: no a"}\n');
      });
    };
    const failure = createEngine(endpoint()).build(
      { context: Readable.from([Buffer.alloc(10)]), dockerfile: 'Dockerfile', tags: [], buildArgs: {}, labels: {} },
      {},
    );
    await expect(failure).rejects.toMatchObject({ code: 'BUILD_STEP_FAILED', exitCode: ExitCode.failed, message: 'step 2/2 failed (COPY a /a): COPY failed: no a' });
  });

  it('reports a socket with nothing behind it as an unreachable engine (exit 3)', async () => {
    server.close();
    const gone: EngineEndpoint = { ...endpoint(), address: { kind: 'unix', socketPath: join(dir, 'none.sock') }, url: `unix://${join(dir, 'none.sock')}` };
    await expect(createEngine(gone).info()).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE', exitCode: ExitCode.environment });
  });
});
