/**
 * Reading the engine's push stream and classifying its failures, with messages captured from
 * Docker 20.10 pushing to registry 2.8 (the open and the htpasswd registry, a stopped one, a
 * registry killed mid-upload).
 */
import { describe, expect, it } from 'vitest';
import type { JsonMessage } from '../../src/engine/ndjson.js';
import type { PackEvent } from '../../src/progress/events.js';
import { PushAttemptError, authFailure, classifyPushFailure } from '../../src/registry/push-errors.js';
import { interpretPushStream } from '../../src/registry/push-stream.js';
import { parseWwwAuthenticate } from '../../src/registry/www-authenticate.js';

const DIGEST = 'sha256:ce024d9e6981688e4957eac513509c7024582b123c419d32924c880f5b59f17d';

async function* from(messages: JsonMessage[]): AsyncGenerator<JsonMessage> {
  for (const message of messages) yield message;
}

async function read(messages: JsonMessage[], tag = '1') {
  const events: PackEvent[] = [];
  const result = await interpretPushStream(from(messages), `127.0.0.1:5077/big:${tag}`, tag, (event) => events.push(event));
  return { result, events };
}

describe('interpretPushStream', () => {
  it('reports layer progress, the engine retry countdown, and the digest from aux', async () => {
    const { result, events } = await read([
      { status: 'The push refers to repository [127.0.0.1:5077/big]' },
      { status: 'Preparing', progressDetail: {}, id: '93a8f9c53f0f' },
      { status: 'Preparing', progressDetail: {}, id: '961297507b16' },
      { status: 'Pushing', progressDetail: { current: 34816, total: 1982284 }, progress: '[>   ]', id: '961297507b16' },
      { status: 'Pushed', progressDetail: {}, id: '961297507b16' },
      { status: 'Pushing', progressDetail: { current: 524800, total: 200000000 }, id: '93a8f9c53f0f' },
      { status: 'Retrying in 5 seconds', progressDetail: {}, id: '93a8f9c53f0f' },
      { status: 'Pushing', progressDetail: { current: 200000000, total: 200000000 }, id: '93a8f9c53f0f' },
      { status: 'Pushed', progressDetail: {}, id: '93a8f9c53f0f' },
      { status: `1: digest: ${DIGEST} size: 741` },
      { progressDetail: {}, aux: { Tag: '1', Digest: DIGEST, Size: 741 } },
    ]);
    expect(result).toEqual({ digest: DIGEST, size: 741, layers: { pushed: 2, existed: 0, mounted: 0 }, bytesSent: 200034816 });
    expect(events.map((e) => (e.type === 'push.layer' ? `${e.layer}:${e.status}${e.detail ? `:${e.detail}` : ''}` : e.type))).toEqual([
      '93a8f9c53f0f:preparing',
      '961297507b16:preparing',
      '961297507b16:pushing',
      '961297507b16:pushed',
      '93a8f9c53f0f:pushing',
      '93a8f9c53f0f:retrying:Retrying in 5 seconds',
      '93a8f9c53f0f:pushing',
      '93a8f9c53f0f:pushed',
    ]);
    expect(events[2]).toEqual({ type: 'push.layer', reference: '127.0.0.1:5077/big:1', layer: '961297507b16', status: 'pushing', current: 34816, total: 1982284 });
  });

  it('counts layers that existed or were mounted; takes the digest from the status line when aux is missing', async () => {
    const { result } = await read(
      [
        { status: 'Layer already exists', id: 'aaaaaaaaaaaa' },
        { status: 'Mounted from library/busybox', id: 'bbbbbbbbbbbb' },
        { status: `latest: digest: ${DIGEST} size: 527` },
      ],
      'latest',
    );
    expect(result).toMatchObject({ digest: DIGEST, size: 527, layers: { pushed: 0, existed: 1, mounted: 1 } });
  });

  it('an error line inside the 200 stream is a failure, classified', async () => {
    const failure = read([
      { status: 'The push refers to repository [127.0.0.1:5001/p6exp/a]' },
      { status: 'Preparing', progressDetail: {}, id: '961297507b16' },
      { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' },
    ]);
    await expect(failure).rejects.toBeInstanceOf(PushAttemptError);
    await expect(failure).rejects.toMatchObject({ kind: 'auth', engineMessage: 'unauthorized: authentication required' });
  });

  it('a stream that ends without a digest is not a success', async () => {
    await expect(read([{ status: 'Preparing', id: 'aaaaaaaaaaaa' }])).rejects.toMatchObject({ kind: 'transient', engineMessage: expect.stringContaining('without reporting a manifest digest') });
  });

  it('refuses a digest reported for another tag', async () => {
    await expect(read([{ aux: { Tag: 'other', Digest: DIGEST, Size: 1 } }])).rejects.toMatchObject({ kind: 'permanent' });
  });
});

describe('classifyPushFailure', () => {
  it.each([
    // Captured from the engine (Docker 20.10, registry 2.8).
    ['no basic auth credentials', 'auth'],
    ['unauthorized: authentication required', 'auth'],
    ['denied: requested access to the resource is denied', 'auth'],
    ['errors:\ndenied: requested access to the resource is denied\n', 'auth'],
    ['unauthorized: incorrect username or password', 'auth'],
    ['insufficient_scope: authorization failed', 'auth'],
    ['tag does not exist: 127.0.0.1:5000/p6exp/a:nosuch', 'missing'],
    ['Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', 'transient'],
    ['dial tcp 127.0.0.1:5077: connect: connection refused', 'transient'],
    ['Patch "http://127.0.0.1:5077/v2/big/blobs/uploads/x": read tcp 127.0.0.1:1->127.0.0.1:5077: read: connection reset by peer', 'transient'],
    ['Put "http://127.0.0.1:5077/v2/big/manifests/1": EOF', 'transient'],
    ['write tcp 127.0.0.1:1->127.0.0.1:5077: write: broken pipe', 'transient'],
    ['net/http: TLS handshake timeout', 'transient'],
    ['received unexpected HTTP status: 503 Service Unavailable', 'transient'],
    ['toomanyrequests: You have reached your pull rate limit', 'transient'],
    ['manifest invalid: manifest invalid', 'permanent'],
    ['name unknown: repository name not known to registry', 'permanent'],
    ['Get "https://nonexistent.invalid/v2/": dial tcp: lookup nonexistent.invalid: no such host', 'permanent'],
  ] as const)('%s → %s', (message, kind) => {
    expect(classifyPushFailure(message)).toBe(kind);
  });

  it('the auth failure is one line naming the registry, the credential source and how to log in', () => {
    const error = authFailure('127.0.0.1:5001', 'unauthorized: authentication required', 'auths["127.0.0.1:5001"] in /tmp/c/config.json');
    expect(error.message).toBe(
      '127.0.0.1:5001 refused the push (unauthorized: authentication required); credentials from auths["127.0.0.1:5001"] in /tmp/c/config.json — log in with `docker login 127.0.0.1:5001`, or pass --username with --password-stdin',
    );
    expect(error.message).not.toContain('\n');
    expect(authFailure('docker.io', 'denied: requested access to the resource is denied', 'no credentials for https://index.docker.io/v1/ in /h/.docker/config.json').message).toContain(
      'no credentials were found (in /h/.docker/config.json) — log in with `docker login`,',
    );
  });
});

describe('parseWwwAuthenticate', () => {
  it('reads Bearer parameters, with commas inside quotes', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/app:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/app:pull,push' } },
    ]);
  });
  it('reads Basic, unquoted values, escapes and several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="pack-test"')).toEqual([{ scheme: 'basic', params: { realm: 'pack-test' } }]);
    expect(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm=https://t.example/token, error=invalid_token')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://t.example/token', error: 'invalid_token' } },
    ]);
  });
});
