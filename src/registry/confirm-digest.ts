/**
 * A tag is reported as pushed only when the registry agrees. The engine's stream names the
 * manifest digest (aux.Digest); that digest is then checked, in this order, with the first
 * source that can answer:
 *   1. registry            pack's own HEAD /v2/<name>/manifests/<tag> (registry-http.ts), when pack
 *                          reaches the registry the engine pushed to (registry-access.ts);
 *   2. engine-distribution the engine asks the registry (GET /distribution/<ref>/json): its network,
 *                          its TLS settings — for remote engines and registries pack cannot reach;
 *   3. repo-digests        the engine's record of the push (image inspect RepoDigests).
 * A registry that answers with a DIFFERENT digest, or says it has no such tag, is a failure — never
 * a reason to try the next source.
 */
import type { PushEngine } from '../engine/engine.js';
import type { RegistryAuth } from '../engine/registry-config.js';
import { PackError } from '../errors.js';
import { fetchManifestDigest, RegistryHttpError, type ManifestDigestRequest } from './registry-http.js';
import { repositoryOf, type RepositoryName } from './repository-name.js';
import { sleep } from './retry.js';

export type ConfirmedBy = 'registry' | 'engine-distribution' | 'repo-digests';

export interface ConfirmRequest {
  readonly engine: PushEngine;
  readonly name: RepositoryName;
  readonly tag: string;
  /** The digest the engine's stream reported. */
  readonly expected: string;
  readonly auth?: RegistryAuth;
  /** Whether pack's own HEAD reaches the registry the engine used, and over which schemes. */
  readonly direct: { readonly allowed: boolean; readonly insecure: boolean };
  readonly signal?: AbortSignal;
  /** Replaceable for tests of the decision logic; the real one by default. */
  readonly fetchDigest?: (request: ManifestDigestRequest) => Promise<{ digest: string }>;
}

export interface Confirmation {
  readonly confirmedBy: ConfirmedBy;
  /** Why earlier sources could not answer, for --json and debugging. */
  readonly notes: readonly string[];
}

/** Registries backed by eventually consistent storage may answer 404 for a moment after the PUT. */
const NOT_FOUND_RETRIES_MS = [250, 1000];

export async function confirmDigest(request: ConfirmRequest): Promise<Confirmation> {
  const { name, tag, expected } = request;
  const reference = `${name.familiar}:${tag}`;
  const notes: string[] = [];
  const mismatch = (source: string, actual: string): PackError =>
    new PackError('PUSH_DIGEST_MISMATCH', `${reference}: the engine reported ${expected} but ${source} says the tag is ${actual}`, {
      hint: 'another push to the same tag may have raced this one; push again and compare',
    });

  if (request.direct.allowed) {
    const fetchDigest = request.fetchDigest ?? fetchManifestDigest;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { digest } = await fetchDigest({
          domain: name.domain,
          path: name.path,
          tag,
          ...(request.auth !== undefined ? { auth: request.auth } : {}),
          insecure: request.direct.insecure,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (digest !== expected) throw mismatch(`the registry (HEAD /v2/${name.path}/manifests/${tag})`, digest);
        return { confirmedBy: 'registry', notes };
      } catch (error) {
        if (!(error instanceof RegistryHttpError)) throw error;
        if (error.failure === 'not-found') {
          const wait = NOT_FOUND_RETRIES_MS[attempt];
          if (wait !== undefined) {
            await sleep(wait, request.signal);
            continue;
          }
          throw new PackError('PUSH_NOT_LANDED', `${reference}: the engine reported ${expected}, but the registry has no such tag (${error.message})`);
        }
        notes.push(`registry: ${error.message}`);
        break;
      }
    }
  } else {
    notes.push(`registry: not asked directly (${name.domain} is loopback to a remote engine)`);
  }

  try {
    const descriptor = await request.engine.distribution(reference, request.auth, request.signal);
    if (descriptor.digest !== expected) throw mismatch('the registry (asked by the engine)', descriptor.digest);
    return { confirmedBy: 'engine-distribution', notes };
  } catch (error) {
    if (error instanceof PackError && error.code === 'PUSH_DIGEST_MISMATCH') throw error;
    if (request.signal?.aborted === true) throw error;
    notes.push(`engine-distribution: ${error instanceof Error ? error.message : String(error)}`);
  }

  const image = await request.engine.inspectImage(reference, request.signal);
  const recorded = (image?.repoDigests ?? []).find((entry) => {
    const at = entry.lastIndexOf('@');
    return at !== -1 && entry.slice(at + 1) === expected && repositoryOf({ name: entry.slice(0, at) }).canonical === name.canonical;
  });
  if (recorded !== undefined) return { confirmedBy: 'repo-digests', notes };
  throw new PackError('PUSH_UNCONFIRMED', `${reference}: the engine reported ${expected}, but neither the registry nor the engine's record confirms it (${notes.join('; ')})`, {
    hint: 'check the registry yourself: docker buildx imagetools inspect, or crane digest',
  });
}
