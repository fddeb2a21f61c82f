import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { responseChunks } from '../../src/engine/response-chunks.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const PIECE = 4096;

/** A real HTTP response from a local server. */
async function httpResponse(handle: (res: ServerResponse) => void): Promise<IncomingMessage> {
  const server = createHttpServer((_req, res) => handle(res));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return new Promise((resolve, reject) => get({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject));
}

/** A real socket whose peer runs `serve`. */
async function socketTo(serve: (peer: Socket) => void): Promise<Socket> {
  const server = createServer(serve);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const socket = connect(address.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('responseChunks', () => {
  it('delivers every byte of an HTTP response in order, as the pieces that arrived (never joined)', async () => {
    // Like the engine's save stream: chunked transfer encoding, many small HTTP chunks per socket read.
    const payload = randomBytes(16 * 1024 * 1024);
    const response = await httpResponse((res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      for (let at = 0; at < payload.length; at += PIECE) res.write(payload.subarray(at, at + PIECE));
      res.end();
    });
    const hash = createHash('sha256');
    let bytes = 0;
    let largest = 0;
    let turn = 0;
    for await (const chunk of responseChunks(response)) {
      hash.update(chunk);
      bytes += chunk.length;
      largest = Math.max(largest, chunk.length);
      // A slow consumer: pieces pile up meanwhile, which Readable's own iterator would join.
      if (++turn % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(bytes).toBe(payload.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(largest).toBeLessThanOrEqual(PIECE);
  });

  it('pauses the stream while its high-water mark is queued, and resumes it once drained', async () => {
    const source = new PassThrough();
    const chunks = responseChunks(source, 4);
    const first = chunks.next();
    source.write(Buffer.from('ab'));
    source.write(Buffer.from('cd'));
    expect((await first).value?.toString()).toBe('ab');
    // "cd" arrived with "ab" (4 bytes: paused); with "ab" taken, 2 are left: flowing again.
    expect(source.isPaused()).toBe(false);
    source.write(Buffer.from('efgh'));
    source.write(Buffer.from('ij'));
    await new Promise((resolve) => setImmediate(resolve));
    // "cd", "efgh" and "ij" wait: 8 bytes ≥ 4.
    expect(source.isPaused()).toBe(true);
    expect((await chunks.next()).value?.toString()).toBe('cd');
    // 6 bytes left: still paused; 2 (half the mark) left: flowing again.
    expect(source.isPaused()).toBe(true);
    expect((await chunks.next()).value?.toString()).toBe('efgh');
    expect(source.isPaused()).toBe(false);
    expect((await chunks.next()).value?.toString()).toBe('ij');
    source.end();
    expect((await chunks.next()).done).toBe(true);
  });

  it('delivers what arrived before an error, then throws the error', async () => {
    const source = new PassThrough();
    const received: string[] = [];
    const consume = (async () => {
      for await (const chunk of responseChunks(source)) received.push(chunk.toString());
    })();
    source.write('one');
    await new Promise((resolve) => setImmediate(resolve));
    source.destroy(new Error('engine went away'));
    await expect(consume).rejects.toThrow('engine went away');
    expect(received).toEqual(['one']);
  });

  it('a socket closed by its peer mid-way surfaces as an error, not as a short read', async () => {
    const socket = await socketTo((peer) => {
      peer.write(Buffer.alloc(1000));
      setTimeout(() => peer.resetAndDestroy(), 20);
    });
    let bytes = 0;
    await expect(
      (async () => {
        for await (const chunk of responseChunks(socket)) bytes += chunk.length;
      })(),
    ).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|ERR_STREAM_PREMATURE_CLOSE/) });
    expect(bytes).toBe(1000);
  });

  it('a stream destroyed without an error before its end is a premature close', async () => {
    const source = new PassThrough();
    const consume = (async () => {
      for await (const chunk of responseChunks(source)) void chunk;
    })();
    source.write('x');
    await new Promise((resolve) => setImmediate(resolve));
    source.destroy();
    await expect(consume).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('listens from the call on: what a flowing stream emits before the first next() is kept', async () => {
    const source = new PassThrough();
    source.resume();
    const chunks = responseChunks(source);
    source.write('early');
    source.end('late');
    const received: string[] = [];
    for await (const chunk of chunks) received.push(chunk.toString());
    expect(received.join('')).toBe('earlylate');
  });

  it('breaking out of the loop destroys the stream and leaves no listener behind', async () => {
    const source = Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')], { objectMode: false });
    for await (const chunk of responseChunks(source)) {
      expect(chunk.toString()).toBe('a');
      break;
    }
    expect(source.destroyed).toBe(true);
    expect(source.listenerCount('data')).toBe(0);
  });
});
