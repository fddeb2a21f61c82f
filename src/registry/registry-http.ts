/**
 * Asking a registry (Docker Registry HTTP API V2 / OCI distribution) for a tag's manifest digest:
 * `HEAD /v2/<name>/manifests/<tag>` → `Docker-Content-Digest`, with the same credentials the push
 * used, authenticated the way the registry's 401 asks:
 *  - `WWW-Authenticate: Bearer realm=…,service=…` → a token from the realm (docker's token flow,
 *    distribution/registry/client/auth): GET with Basic user:password (or anonymously), or, with an
 *    identity token, POST grant_type=refresh_token (OAuth2); then the HEAD again with `Bearer <token>`;
 *  - `WWW-Authenticate: Basic` → the HEAD again with Basic user:password.
 * A registry that answers HEAD without the header gets a GET; the digest is then the sha256 of the
 * manifest bytes, which is what the digest is by definition.
 *
 * Scheme: HTTPS. For registries the engine treats as insecure (127.0.0.0/8 by default, or
 * --insecure-registry), the engine tries HTTPS without verifying the certificate and then plain
 * HTTP (moby registry/service.go lookupV2Endpoints); pack does the same, so it talks to the same
 * registry the engine pushed to.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RegistryAuth } from '../engine/registry-config.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';
import { DOCKER_HUB_API_HOST, DOCKER_HUB_DOMAIN } from './repository-name.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type RegistryHttpFailure =
  /** Could not connect / TLS failed / timed out on every scheme tried. */
  | 'unreachable'
  /** The registry refused the credentials. */
  | 'unauthorized'
  /** 404: the registry has no such tag. */
  | 'not-found'
  | 'unexpected';

export class RegistryHttpError extends Error {
  constructor(
    readonly failure: RegistryHttpFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

export interface ManifestDigestRequest {
  /** `docker.io` or `host[:port]`. */
  readonly domain: string;
  /** Repository path inside the registry (`library/app`). */
  readonly path: string;
  readonly tag: string;
  readonly auth?: RegistryAuth;
  /** The engine treats this registry as insecure: try HTTPS unverified, then HTTP. */
  readonly insecure: boolean;
  readonly signal?: AbortSignal;
  /** Per request; default 15 s. */
  readonly timeoutMs?: number;
}

export interface ManifestDigest {
  readonly digest: string;
  /** The URL that answered (no credentials in it). */
  readonly url: string;
}

interface Response {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export async function fetchManifestDigest(request: ManifestDigestRequest): Promise<ManifestDigest> {
  const host = request.domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_API_HOST : request.domain;
  const schemes = request.insecure ? (['https', 'http'] as const) : (['https'] as const);
  let lastError: RegistryHttpError | undefined;
  for (const scheme of schemes) {
    const url = `${scheme}://${host}/v2/${request.path}/manifests/${encodeURIComponent(request.tag)}`;
    try {
      return await digestAt(url, request);
    } catch (error) {
      if (error instanceof RegistryHttpError && error.failure === 'unreachable') {
        lastError = error;
        continue;
      }
      throw error;
    }
  }
  throw lastError ?? new RegistryHttpError('unreachable', `${host}: no scheme to try`);
}

async function digestAt(url: string, request: ManifestDigestRequest): Promise<ManifestDigest> {
  const options = { insecure: request.insecure, signal: request.signal, timeoutMs: request.timeoutMs ?? 15_000 };
  const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
  if (request.auth?.registrytoken) headers['Authorization'] = `Bearer ${request.auth.registrytoken}`;
  let response = await send('HEAD', url, headers, options);
  if (response.status === 401) {
    const challenges = parseWwwAuthenticate(String(response.headers['www-authenticate'] ?? ''));
    const authorization = await authorize(challenges, request, options);
    if (authorization === undefined) {
      throw new RegistryHttpError('unauthorized', `${url} asks for credentials (${String(response.headers['www-authenticate'] ?? 'no challenge')}) and there are none`, 401);
    }
    headers['Authorization'] = authorization;
    response = await send('HEAD', url, headers, options);
  }
  if (response.status === 401 || response.status === 403) throw new RegistryHttpError('unauthorized', `${url} answered ${response.status} with the push's credentials`, response.status);
  if (response.status === 404) throw new RegistryHttpError('not-found', `${url} answered 404: the registry has no such tag`, 404);
  if (response.status !== 200) throw new RegistryHttpError('unexpected', `${url} answered ${response.status}`, response.status);
  const header = response.headers['docker-content-digest'];
  if (typeof header === 'string' && /^sha256:[0-9a-f]{64}$/.test(header)) return { digest: header, url };
  // No header on HEAD: the digest is the sha256 of the manifest bytes.
  const full = await send('GET', url, headers, options);
  if (full.status !== 200) throw new RegistryHttpError('unexpected', `GET ${url} answered ${full.status}`, full.status);
  return { digest: `sha256:${createHash('sha256').update(full.body).digest('hex')}`, url };
}

/** The Authorization header a challenge asks for, or undefined when there is nothing to offer. */
async function authorize(challenges: readonly Challenge[], request: ManifestDigestRequest, options: SendOptions): Promise<string | undefined> {
  const auth = request.auth;
  const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
  if (bearer !== undefined) {
    const realm = bearer.params['realm'];
    if (realm === undefined || !/^https?:\/\//i.test(realm)) throw new RegistryHttpError('unexpected', `the registry's Bearer challenge has no usable realm (${JSON.stringify(realm ?? '')})`);
    const service = bearer.params['service'];
    const scope = `repository:${request.path}:pull`;
    let response: Response;
    if (auth?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, client_id: 'pack', scope, ...(service ? { service } : {}) });
      response = await send('POST', realm, { 'Content-Type': 'application/x-www-form-urlencoded' }, options, Buffer.from(form.toString()));
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (auth?.username) headers['Authorization'] = basic(auth.username, auth.password ?? '');
      response = await send('GET', url.toString(), headers, options);
    }
    if (response.status === 401 || response.status === 403) throw new RegistryHttpError('unauthorized', `the token server ${realm} refused the credentials (${response.status})`, response.status);
    if (response.status !== 200) throw new RegistryHttpError('unexpected', `the token server ${realm} answered ${response.status}`, response.status);
    let token: unknown;
    try {
      const body = JSON.parse(response.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = body.token ?? body.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') throw new RegistryHttpError('unexpected', `the token server ${realm} sent no token`);
    return `Bearer ${token}`;
  }
  if (challenges.some((challenge) => challenge.scheme === 'basic') && auth?.username) return basic(auth.username, auth.password ?? '');
  return undefined;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

interface SendOptions {
  readonly insecure: boolean;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
}

/** One request, body collected (manifests and token answers are small; capped at 4 MiB). */
function send(method: string, url: string, headers: Record<string, string>, options: SendOptions, body?: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = make(
      target,
      {
        method,
        headers: { ...headers, 'User-Agent': 'pack', ...(body ? { 'Content-Length': String(body.length) } : {}) },
        // Insecure registries: the engine does not verify their certificates either.
        ...(target.protocol === 'https:' ? { rejectUnauthorized: !options.insecure } : {}),
        timeout: options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 4 * 1024 * 1024) {
            req.destroy(new RegistryHttpError('unexpected', `${target.origin} sent more than 4 MiB`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error) => reject(unreachable(target, error)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(error instanceof RegistryHttpError ? error : unreachable(target, error)));
    req.end(body);
  });
}

function unreachable(target: URL, error: unknown): Error {
  if ((error as { name?: unknown }).name === 'AbortError') return error as Error;
  const code = (error as { code?: unknown }).code;
  return new RegistryHttpError('unreachable', `${target.origin}: ${typeof code === 'string' ? `${code} ` : ''}${error instanceof Error ? error.message : String(error)}`.trim());
}
