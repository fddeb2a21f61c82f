/**
 * The push orchestration's decisions — retry or not, stop or go on, what counts as pushed — with a
 * scripted PushEngine whose streams replay messages the real engine sends (the real engine is
 * exercised in test/engine/push-*.test.ts and test/cli/push.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { EnginePushRequest, ImageDetails, PushEngine, RegistryDescriptor } from '../../src/engine/engine.js';
import type { JsonMessage } from '../../src/engine/ndjson.js';
import type { RegistryAuth } from '../../src/engine/registry-config.js';
import { PackError } from '../../src/errors.js';
import type { PackEvent } from '../../src/progress/events.js';
import type { CredentialResolver } from '../../src/registry/credentials.js';
import { PushFailedError, pushTags, type PushTarget } from '../../src/registry/push.js';
import { RegistryHttpError } from '../../src/registry/registry-http.js';
import { repositoryOf } from '../../src/registry/repository-name.js';

const digestOf = (tag: string): string => `sha256:${Buffer.from(tag.padEnd(32, '.')).toString('hex').slice(0, 64)}`;
const ok = (tag: string): JsonMessage[] => [
  { status: 'Preparing', id: 'aaaaaaaaaaaa' },
  { status: 'Layer already exists', id: 'aaaaaaaaaaaa' },
  { status: `${tag}: digest: ${digestOf(tag)} size: 527` },
  { aux: { Tag: tag, Digest: digestOf(tag), Size: 527 } },
];
const fail = (message: string): JsonMessage[] => [{ status: 'Preparing', id: 'aaaaaaaaaaaa' }, { errorDetail: { message }, error: message }];

class ScriptedEngine implements PushEngine {
  readonly endpoint = { address: { kind: 'unix' as const, socketPath: '/var/run/docker.sock' }, url: 'unix:///var/run/docker.sock', source: 'default' as const, contextName: 'default', reason: 'default' };
  readonly pushes: EnginePushRequest[] = [];
  constructor(
    /** Per push call, in order: the messages to stream. */
    private readonly script: (request: EnginePushRequest, call: number) => JsonMessage[],
    private readonly local = (reference: string): boolean => reference !== '',
    readonly repoDigests: string[] = [],
    private readonly distributionAnswer: (reference: string) => RegistryDescriptor | Error = () => new Error('distribution unavailable'),
  ) {}
  async *pushImage(request: EnginePushRequest): AsyncGenerator<JsonMessage> {
    this.pushes.push(request);
    for (const message of this.script(request, this.pushes.length)) yield message;
  }
  async distribution(reference: string, _auth: RegistryAuth | undefined): Promise<RegistryDescriptor> {
    const answer = this.distributionAnswer(reference);
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async registrySettings() {
    return { insecureCidrs: ['127.0.0.0/8'], indexes: {} };
  }
  async inspectImage(reference: string): Promise<ImageDetails | undefined> {
    return this.local(reference) ? { id: 'sha256:1', repoTags: [reference], labels: {}, layers: [], created: '', size: 0, repoDigests: this.repoDigests } : undefined;
  }
  async tagImage(): Promise<void> {}
}

const credentials: CredentialResolver = {
  resolve: async (domain) => ({ domain, key: domain, source: `no credentials for ${domain} in /tmp/config.json` }),
  registryAuth: async () => ({}),
};

const targets = (...tags: string[]): PushTarget[] => tags.map((tag) => ({ name: repositoryOf({ name: '127.0.0.1:5000/team/app' }), tag }));
const fast = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const registryAgrees = async (request: { tag: string }) => ({ digest: digestOf(request.tag) });

async function run(engine: ScriptedEngine, tags: string[], fetchDigest = registryAgrees, signal?: AbortSignal) {
  const events: PackEvent[] = [];
  const promise = pushTags(
    { targets: targets(...tags), credentials, retry: fast },
    { engine, emit: (event) => events.push(event), fetchDigest, random: () => 1, ...(signal ? { signal } : {}) },
  );
  return { promise, events };
}

describe('pushTags', () => {
  it('pushes each tag with its own call, confirms each digest, and reports them pinned', async () => {
    const engine = new ScriptedEngine((request) => ok(request.tag));
    const { promise, events } = await run(engine, ['1.4.2', 'sha-abc1234', 'latest']);
    const result = await promise;
    expect(engine.pushes.map((p) => `${p.repository}:${p.tag}`)).toEqual(['127.0.0.1:5000/team/app:1.4.2', '127.0.0.1:5000/team/app:sha-abc1234', '127.0.0.1:5000/team/app:latest']);
    expect(result.pushed.map((t) => [t.reference, t.pinned, t.confirmedBy, t.attempts])).toEqual([
      ['127.0.0.1:5000/team/app:1.4.2', `127.0.0.1:5000/team/app@${digestOf('1.4.2')}`, 'registry', 1],
      ['127.0.0.1:5000/team/app:sha-abc1234', `127.0.0.1:5000/team/app@${digestOf('sha-abc1234')}`, 'registry', 1],
      ['127.0.0.1:5000/team/app:latest', `127.0.0.1:5000/team/app@${digestOf('latest')}`, 'registry', 1],
    ]);
    expect(events.map((e) => e.type).filter((t) => t !== 'push.layer')).toEqual([
      'push.start',
      'push.tag.start',
      'push.tag.done',
      'push.tag.start',
      'push.tag.done',
      'push.tag.start',
      'push.tag.done',
      'push.done',
    ]);
    expect(events[0]).toEqual({
      type: 'push.start',
      references: ['127.0.0.1:5000/team/app:1.4.2', '127.0.0.1:5000/team/app:sha-abc1234', '127.0.0.1:5000/team/app:latest'],
      engine: 'unix:///var/run/docker.sock',
      credentials: [{ registry: '127.0.0.1:5000', source: 'no credentials for 127.0.0.1:5000 in /tmp/config.json' }],
    });
  });

  it('retries a transient failure with backoff, then succeeds', async () => {
    const engine = new ScriptedEngine((request, call) => (call === 1 ? fail('dial tcp 127.0.0.1:5000: connect: connection refused') : ok(request.tag)));
    const { promise, events } = await run(engine, ['1.0.0']);
    const result = await promise;
    expect(result.pushed[0]?.attempts).toBe(2);
    expect(events.filter((e) => e.type === 'push.retry')).toEqual([
      { type: 'push.retry', reference: '127.0.0.1:5000/team/app:1.0.0', attempt: 1, attempts: 3, delayMs: 5, reason: 'dial tcp 127.0.0.1:5000: connect: connection refused' },
    ]);
  });

  it('gives up after the bounded attempts and says which tags landed and which did not', async () => {
    const engine = new ScriptedEngine((request) => (request.tag === '1.0' ? fail('Put "http://127.0.0.1:5000/v2/team/app/manifests/1.0": EOF') : ok(request.tag)));
    const { promise, events } = await run(engine, ['1.0.0', '1.0', '1', 'latest']);
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PushFailedError);
    const failure = error as PushFailedError;
    expect(failure.message).toBe(
      'push 127.0.0.1:5000/team/app:1.0 failed 3 times, the last time with: Put "http://127.0.0.1:5000/v2/team/app/manifests/1.0": EOF — pushed 1 of 4 tags (1.0.0); not pushed: 1.0, 1, latest',
    );
    expect(failure.exitCode).toBe(1);
    expect(failure.pushed.map((t) => t.tag)).toEqual(['1.0.0']);
    expect(failure.failed).toEqual(['127.0.0.1:5000/team/app:1.0']);
    expect(failure.notPushed).toEqual(['127.0.0.1:5000/team/app:1', '127.0.0.1:5000/team/app:latest']);
    // Tags after the failed one were never attempted; nothing but 1.0.0 was reported pushed.
    expect(engine.pushes.map((p) => p.tag)).toEqual(['1.0.0', '1.0', '1.0', '1.0']);
    expect(events.filter((e) => e.type === 'push.tag.done').map((e) => (e as { reference: string }).reference)).toEqual(['127.0.0.1:5000/team/app:1.0.0']);
    expect(events.at(-1)).toMatchObject({ type: 'push.failed', pushed: ['127.0.0.1:5000/team/app:1.0.0'], failed: ['127.0.0.1:5000/team/app:1.0'] });
  });

  it('a refusal stops at once, without retrying, in one line naming the registry and how to log in', async () => {
    const engine = new ScriptedEngine(() => fail('unauthorized: authentication required'));
    const { promise } = await run(engine, ['1.0.0', 'latest']);
    await expect(promise).rejects.toThrow(
      '127.0.0.1:5000 refused the push (unauthorized: authentication required); no credentials were found (in /tmp/config.json) — log in with `docker login 127.0.0.1:5000`, or pass --username with --password-stdin — none of the 2 tags was pushed',
    );
    expect(engine.pushes).toHaveLength(1);
  });

  it('a tag missing locally stops everything before anything is sent', async () => {
    const engine = new ScriptedEngine((request) => ok(request.tag), (reference) => !reference.endsWith(':latest'));
    const { promise } = await run(engine, ['1.0.0', 'latest']);
    await expect(promise).rejects.toThrow('no local image 127.0.0.1:5000/team/app:latest on unix:///var/run/docker.sock: nothing was pushed');
    await expect(promise).rejects.toMatchObject({ exitCode: 2 });
    expect(engine.pushes).toEqual([]);
  });

  it('a registry that names another digest for the tag fails it: not pushed', async () => {
    const engine = new ScriptedEngine((request) => ok(request.tag));
    const { promise, events } = await run(engine, ['1.0.0'], async () => ({ digest: digestOf('someone else') }));
    await expect(promise).rejects.toMatchObject({ code: 'PUSH_DIGEST_MISMATCH' });
    expect(events.some((e) => e.type === 'push.tag.done')).toBe(false);
  });

  it('a registry that does not have the tag after the push fails it: not pushed', async () => {
    const engine = new ScriptedEngine((request) => ok(request.tag));
    const { promise } = await run(engine, ['1.0.0'], async () => {
      throw new RegistryHttpError('not-found', 'answered 404', 404);
    });
    await expect(promise).rejects.toMatchObject({ code: 'PUSH_NOT_LANDED' });
  });

  it('when pack cannot reach the registry, the engine asks it (/distribution); failing that, RepoDigests', async () => {
    const unreachable = async (): Promise<never> => {
      throw new RegistryHttpError('unreachable', 'ECONNREFUSED');
    };
    const viaEngine = new ScriptedEngine((request) => ok(request.tag), undefined, [], (reference) => ({ mediaType: 'm', digest: digestOf(reference.split(':').at(-1) ?? ''), size: 1 }));
    expect((await (await run(viaEngine, ['2.0.0'], unreachable)).promise).pushed[0]?.confirmedBy).toBe('engine-distribution');

    const viaRecord = new ScriptedEngine((request) => ok(request.tag), undefined, [`127.0.0.1:5000/team/app@${digestOf('2.0.0')}`]);
    expect((await (await run(viaRecord, ['2.0.0'], unreachable)).promise).pushed[0]?.confirmedBy).toBe('repo-digests');

    const unconfirmed = new ScriptedEngine((request) => ok(request.tag), undefined, [`127.0.0.1:5000/other@${digestOf('2.0.0')}`]);
    await expect((await run(unconfirmed, ['2.0.0'], unreachable)).promise).rejects.toMatchObject({ code: 'PUSH_UNCONFIRMED' });
  });

  it('Ctrl-C during a backoff ends the wait at once with the interrupt (exit 130)', async () => {
    const controller = new AbortController();
    const engine = new ScriptedEngine(() => {
      setTimeout(() => controller.abort(new PackError('INTERRUPTED', 'interrupted', { exitCode: 130 })), 5);
      return fail('connection reset by peer');
    });
    const events: PackEvent[] = [];
    const started = Date.now();
    const promise = pushTags(
      { targets: targets('1.0.0'), credentials, retry: { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } },
      { engine, emit: (event) => events.push(event), fetchDigest: registryAgrees, signal: controller.signal },
    );
    await expect(promise).rejects.toMatchObject({ exitCode: 130 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('deduplicates targets that name the same repository and tag', async () => {
    const engine = new ScriptedEngine((request) => ok(request.tag));
    const result = await pushTags(
      { targets: [...targets('1.0.0'), { name: repositoryOf({ name: '127.0.0.1:5000/team/app' }), tag: '1.0.0' }], credentials, retry: fast },
      { engine, emit: () => {}, fetchDigest: registryAgrees },
    );
    expect(result.pushed).toHaveLength(1);
  });
});
