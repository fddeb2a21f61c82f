/**
 * Pushing a set of tags through the engine, one tag per push call, in the order given (the tag
 * set puts immutable tags first and `latest` last):
 *   1. every tag must exist locally — checked before anything is sent;
 *   2. credentials resolved once per registry (credentials.ts), reported by source, never by value;
 *   3. per tag: the engine's stream read to the end (push-stream.ts); a refusal (unauthorized,
 *      denied) stops everything with one line naming the registry and how to log in; a transient
 *      failure is retried with bounded backoff (retry.ts); anything else fails the tag;
 *   4. per tag: the reported digest confirmed with the registry (confirm-digest.ts) before the tag
 *      counts as pushed;
 *   5. the first tag that fails stops the push — the tags after it are not attempted, so floating
 *      tags never move ahead of the version they stand for — and the error says which tags landed,
 *      which failed and which were not pushed.
 */
import type { PushEngine } from '../engine/engine.js';
import { PackError, UsageError, type ExitCode } from '../errors.js';
import type { Emit } from '../progress/events.js';
import { confirmDigest, type ConfirmedBy, type ConfirmRequest } from './confirm-digest.js';
import type { CredentialResolver, ResolvedCredentials } from './credentials.js';
import { PushAttemptError, authFailure } from './push-errors.js';
import { interpretPushStream } from './push-stream.js';
import { isInsecureRegistry, packSeesSameRegistry } from './registry-access.js';
import type { RepositoryName } from './repository-name.js';
import { DEFAULT_RETRY_POLICY, retryDelay, sleep, type RetryPolicy } from './retry.js';

export interface PushTarget {
  readonly name: RepositoryName;
  readonly tag: string;
}

export interface PushRequest {
  readonly targets: readonly PushTarget[];
  readonly credentials: CredentialResolver;
  readonly retry?: RetryPolicy;
}

export interface PushDeps {
  readonly engine: PushEngine;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  readonly random?: () => number;
  /** For tests of the confirmation logic only. */
  readonly fetchDigest?: ConfirmRequest['fetchDigest'];
}

export interface PushedTag {
  /** `repository:tag` as given. */
  readonly reference: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  /** `repository@sha256:…`. */
  readonly pinned: string;
  readonly size?: number;
  readonly confirmedBy: ConfirmedBy;
  readonly attempts: number;
  readonly durationMs: number;
  readonly layers: { readonly pushed: number; readonly existed: number; readonly mounted: number };
  readonly bytesSent: number;
}

export interface PushResult {
  readonly pushed: readonly PushedTag[];
  readonly durationMs: number;
  readonly bytesSent: number;
}

/** A push that did not complete: which tags landed, which failed, which were never attempted. */
export class PushFailedError extends PackError {
  constructor(
    cause: unknown,
    message: string,
    code: string,
    exitCode: ExitCode,
    readonly pushed: readonly PushedTag[],
    readonly failed: readonly string[],
    readonly notPushed: readonly string[],
    hint?: string,
  ) {
    super(code, message, { cause, exitCode, ...(hint !== undefined ? { hint } : {}) });
  }
}

export function referenceOf(target: PushTarget): string {
  return `${target.name.familiar}:${target.tag}`;
}

export async function pushTags(request: PushRequest, deps: PushDeps): Promise<PushResult> {
  const { engine, emit, signal } = deps;
  const now = deps.now ?? Date.now;
  const policy = request.retry ?? DEFAULT_RETRY_POLICY;
  const started = now();
  const targets = dedupe(request.targets);
  if (targets.length === 0) throw new UsageError('PUSH_NOTHING', 'nothing to push', { hint: 'name NAME:TAG, or give --repository to push the project\'s tag set' });

  const pushed: PushedTag[] = [];
  let current: string | undefined;
  try {
    // 1. Everything exists locally, or nothing is sent.
    const missing: string[] = [];
    for (const target of targets) {
      if ((await engine.inspectImage(referenceOf(target), signal)) === undefined) missing.push(referenceOf(target));
    }
    if (missing.length > 0) {
      throw new UsageError('PUSH_NO_LOCAL_IMAGE', `no local image ${missing.join(', ')} on ${engine.endpoint.url}: nothing was pushed`, {
        hint: 'build and tag it first (pack build --repository REPO, or -t NAME:TAG), or tag an existing image with --from IMAGE',
      });
    }

    // 2. Credentials, once per registry.
    const credentials = new Map<string, ResolvedCredentials>();
    for (const domain of new Set(targets.map((target) => target.name.domain))) credentials.set(domain, await request.credentials.resolve(domain, signal));
    emit({
      type: 'push.start',
      references: targets.map(referenceOf),
      engine: engine.endpoint.url,
      credentials: [...credentials.values()].map((found) => ({ registry: found.domain, source: found.source })),
    });
    const settings = await engine.registrySettings(signal).catch(() => ({ insecureCidrs: ['127.0.0.0/8'], indexes: {} }));

    // 3 + 4. One tag at a time.
    for (const target of targets) {
      current = referenceOf(target);
      const found = credentials.get(target.name.domain) as ResolvedCredentials;
      const tagStarted = now();
      let attempt = 0;
      let streamed;
      for (;;) {
        attempt += 1;
        emit({ type: 'push.tag.start', reference: current, attempt, attempts: policy.attempts });
        try {
          streamed = await interpretPushStream(
            engine.pushImage({ repository: target.name.familiar, tag: target.tag, ...(found.auth !== undefined ? { auth: found.auth } : {}) }, signal),
            current,
            target.tag,
            emit,
          );
          break;
        } catch (error) {
          if (!(error instanceof PushAttemptError)) throw error;
          if (error.kind === 'auth') throw authFailure(target.name.domain, error.engineMessage, found.source);
          if (error.kind === 'transient' && attempt < policy.attempts) {
            const delayMs = retryDelay(policy, attempt, deps.random);
            emit({ type: 'push.retry', reference: current, attempt, attempts: policy.attempts, delayMs, reason: error.engineMessage });
            await sleep(delayMs, signal);
            continue;
          }
          throw new PackError(
            'PUSH_FAILED',
            error.kind === 'transient'
              ? `push ${current} failed ${attempt} ${attempt === 1 ? 'time' : 'times'}, the last time with: ${error.engineMessage}`
              : `push ${current}: ${error.engineMessage}`,
            {
              cause: error,
              hint: error.kind === 'transient' ? `is ${target.name.domain} up? pack gave up after ${attempt} attempts (--retries changes how many)` : undefined,
            },
          );
        }
      }
      const confirmation = await confirmDigest({
        engine,
        name: target.name,
        tag: target.tag,
        expected: streamed.digest,
        ...(found.auth !== undefined ? { auth: found.auth } : {}),
        direct: {
          allowed: packSeesSameRegistry(target.name.domain, engine.endpoint),
          insecure: await isInsecureRegistry(target.name.domain, settings),
        },
        ...(signal ? { signal } : {}),
        ...(deps.fetchDigest ? { fetchDigest: deps.fetchDigest } : {}),
      });
      const durationMs = now() - tagStarted;
      const tag: PushedTag = {
        reference: current,
        repository: target.name.familiar,
        tag: target.tag,
        digest: streamed.digest,
        pinned: `${target.name.familiar}@${streamed.digest}`,
        ...(streamed.size !== undefined ? { size: streamed.size } : {}),
        confirmedBy: confirmation.confirmedBy,
        attempts: attempt,
        durationMs,
        layers: streamed.layers,
        bytesSent: streamed.bytesSent,
      };
      pushed.push(tag);
      emit({ type: 'push.tag.done', reference: current, digest: tag.digest, pinned: tag.pinned, confirmedBy: tag.confirmedBy, durationMs });
      current = undefined;
    }
  } catch (error) {
    throw failure(error, targets, pushed, current, emit);
  }
  const durationMs = now() - started;
  emit({ type: 'push.done', pushed: pushed.map((tag) => ({ reference: tag.reference, digest: tag.digest })), durationMs });
  return { pushed, durationMs, bytesSent: pushed.reduce((sum, tag) => sum + tag.bytesSent, 0) };
}

/** The error as it happened, plus — when several tags were asked for — exactly which landed and which did not. */
function failure(error: unknown, targets: readonly PushTarget[], pushed: readonly PushedTag[], current: string | undefined, emit: Emit): unknown {
  const landed = pushed.map((tag) => tag.reference);
  const failed = current !== undefined ? [current] : [];
  const notPushed = targets.map(referenceOf).filter((reference) => !landed.includes(reference) && !failed.includes(reference));
  const packError = error instanceof PackError ? error : undefined;
  const base = error instanceof Error ? error.message : String(error);
  let message = base;
  if (targets.length > 1 && packError?.code !== 'PUSH_NO_LOCAL_IMAGE') {
    const tagsOf = (references: readonly string[]): string => references.map((reference) => reference.slice(reference.lastIndexOf(':') + 1)).join(', ');
    message +=
      landed.length === 0
        ? ` — none of the ${targets.length} tags was pushed`
        : ` — pushed ${landed.length} of ${targets.length} tags (${tagsOf(landed)}); not pushed: ${tagsOf([...failed, ...notPushed])}`;
  }
  emit({ type: 'push.failed', code: packError?.code ?? 'INTERNAL', message, pushed: landed, failed, notPushed });
  return new PushFailedError(error, message, packError?.code ?? 'PUSH_FAILED', packError?.exitCode ?? 1, pushed, failed, notPushed, packError?.hint);
}

function dedupe(targets: readonly PushTarget[]): PushTarget[] {
  const seen = new Set<string>();
  return targets.filter((target) => {
    const key = `${target.name.canonical}:${target.tag}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
