/**
 * The Engine, backed by dockerode. This is the only file in pack that imports dockerode.
 *
 * Notes on what dockerode / docker-modem do, relied upon below:
 *  - buildImage(stream) pipes the stream into the request (`data.pipe(req)`, chunked transfer
 *    encoding, no Content-Length): backpressure holds and nothing is buffered or written to disk.
 *    An 'error' on the stream destroys the request.
 *  - The modem merges its options over defaults read from process.env (DOCKER_HOST,
 *    DOCKER_CERT_PATH, DOCKER_TLS_VERIFY only when "1", https guessed from port 2376). pack resolves
 *    the endpoint itself (endpoint.ts) and passes every one of those keys explicitly so that the
 *    environment cannot override the decision.
 *  - `abortSignal` reaches http.request; once the 200 response has started, the response stream is
 *    not tied to it, so pack destroys it on abort itself. Closing the connection makes the engine
 *    cancel the build; `forcerm` makes it remove the intermediate container even then.
 *  - `registryconfig` would be encoded as standard base64; the engine wants base64url, so pack
 *    passes the finished header value (`{ base64 }`). The same for `authconfig` (X-Registry-Auth).
 *  - docker-modem logs every request with its headers under DEBUG=modem — X-Registry-Auth and
 *    X-Registry-Config hold passwords — so pack switches that namespace off (below).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { PackError, UsageError } from '../errors.js';
import { silent, type Emit } from '../progress/events.js';
import { interpretBuildStream } from './build-output.js';
import type { EngineEndpoint } from './endpoint.js';
import type {
  ArchiveEngine,
  Engine,
  EngineBuildRequest,
  EngineBuildResult,
  EngineInfo,
  EnginePushRequest,
  EngineRegistrySettings,
  ImageDetails,
  LoadedImages,
  PushEngine,
  RegistryDescriptor,
} from './engine.js';
import { classifyEngineError, statusOf } from './engine-errors.js';
import { messageError, readNdjson, type JsonMessage } from './ndjson.js';
import { encodeRegistryAuth, encodeRegistryConfig, type RegistryAuth } from './registry-config.js';
import { SshDialAgent } from './ssh-dialer.js';

export interface DockerodeEngineOptions {
  /** The ssh executable for ssh:// endpoints (tests point it at a stand-in). */
  readonly sshCommand?: string;
}

/** Lazy, like dockerode's handles: no I/O until a method is called. */
export function createEngine(endpoint: EngineEndpoint, options: DockerodeEngineOptions = {}): Engine & PushEngine & ArchiveEngine {
  silenceModemDebug();
  return new DockerodeEngine(endpoint, createDocker(endpoint, options));
}

/**
 * DEBUG=modem makes docker-modem print each request with util.inspect, headers included: the
 * base64 of the registry password. Adding `-modem` to the debug namespaces (on docker-modem's own
 * copy of `debug`) keeps any other DEBUG output the user asked for.
 */
function silenceModemDebug(): void {
  try {
    const fromModem = createRequire(createRequire(import.meta.url).resolve('docker-modem'));
    const debug = fromModem('debug') as { enabled(name: string): boolean; disable(): string; enable(namespaces: string): void };
    if (!debug.enabled('modem')) return;
    const namespaces = debug.disable();
    debug.enable(namespaces === '' ? '-modem' : `${namespaces},-modem`);
  } catch {
    // No `debug` next to docker-modem: then nothing can print the headers either.
  }
}

function createDocker(endpoint: EngineEndpoint, options: DockerodeEngineOptions): Docker {
  // Every env-derived modem option is set, most to undefined, so process.env cannot leak in.
  const base = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    pathPrefix: undefined,
    timeout: undefined,
    username: undefined,
    agent: undefined,
  } as Record<string, unknown>;
  const address = endpoint.address;
  let modemOptions: Record<string, unknown>;
  switch (address.kind) {
    case 'unix':
      modemOptions = { ...base, socketPath: address.socketPath };
      break;
    case 'tcp': {
      if (address.tls === undefined) {
        modemOptions = { ...base, host: address.host, port: address.port, protocol: 'http', pathPrefix: address.basePath || '/' };
        break;
      }
      const read = (file: string | undefined): Buffer | undefined => {
        if (file === undefined) return undefined;
        try {
          return readFileSync(file);
        } catch (error) {
          throw new UsageError('ENGINE_TLS_FILE', `cannot read ${file} for the TLS connection to ${endpoint.url} (${endpoint.reason})`, {
            hint: 'set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem',
            cause: error,
          });
        }
      };
      const ca = read(address.tls.caFile);
      const cert = read(address.tls.certFile);
      const key = read(address.tls.keyFile);
      const agent = new HttpsAgent({ ca, cert, key, rejectUnauthorized: address.tls.verify });
      modemOptions = { ...base, host: address.host, port: address.port, protocol: 'https', ca, cert, key, agent, pathPrefix: address.basePath || '/' };
      break;
    }
    case 'ssh':
      // The agent opens each connection through `ssh … docker system dial-stdio`; HTTP runs over it.
      modemOptions = {
        ...base,
        host: 'localhost',
        protocol: 'http',
        pathPrefix: '/',
        agent: new SshDialAgent(address, options.sshCommand),
      };
      break;
  }
  try {
    return new Docker(modemOptions as Docker.DockerOptions);
  } catch (error) {
    // docker-modem parses DOCKER_HOST in its constructor even when pack overrides every result.
    throw new UsageError('ENGINE_BAD_ENV', `the Docker client could not start: ${(error as Error).message}`, {
      hint: 'fix or unset DOCKER_HOST / DOCKER_CERT_PATH',
      cause: error,
    });
  }
}

class DockerodeEngine implements Engine, PushEngine, ArchiveEngine {
  constructor(
    readonly endpoint: EngineEndpoint,
    private readonly docker: Docker,
  ) {}

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    try {
      // The typings omit version()'s options argument; dockerode honours abortSignal there.
      const version = await (this.docker.version as (opts: object) => Promise<Docker.DockerVersion>).call(this.docker, signal ? { abortSignal: signal } : {});
      return { version: version.Version, apiVersion: version.ApiVersion, os: version.Os, arch: version.Arch };
    } catch (error) {
      throw this.failure(error, signal, 'ask the engine for its version');
    }
  }

  async build(request: EngineBuildRequest, options: { signal?: AbortSignal; emit?: Emit }): Promise<EngineBuildResult> {
    const { signal } = options;
    const emit = options.emit ?? silent;
    const context = request.context;
    // The tar encoder's own error (an unreadable file) explains a failure better than the
    // connection error it causes.
    let contextError: unknown;
    context.once('error', (error) => {
      contextError = error;
    });
    signal?.throwIfAborted();
    const query: Record<string, unknown> = {
      dockerfile: request.dockerfile,
      // Remove intermediate containers even when a step fails, as `docker build --force-rm`.
      rm: true,
      forcerm: true,
    };
    if (request.tags.length > 0) query['t'] = [...request.tags];
    if (Object.keys(request.buildArgs).length > 0) query['buildargs'] = { ...request.buildArgs };
    if (Object.keys(request.labels).length > 0) query['labels'] = { ...request.labels };
    if (request.target !== undefined) query['target'] = request.target;
    if (request.platform !== undefined) query['platform'] = request.platform;
    if (request.noCache === true) query['nocache'] = true;
    if (request.pull === true) query['pull'] = true;
    if (request.network !== undefined && request.network !== 'default') query['networkmode'] = request.network;
    if (request.quiet === true) query['q'] = true;
    if (signal !== undefined) query['abortSignal'] = signal;
    if (request.registryConfig !== undefined) query['registryconfig'] = { base64: encodeRegistryConfig(request.registryConfig) };

    let response: Readable;
    try {
      response = (await this.docker.buildImage(context, query as Docker.ImageBuildOptions)) as Readable;
    } catch (error) {
      context.destroy();
      throw this.failure(contextError ?? error, signal, 'build');
    }
    const onAbort = (): void => {
      response.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await interpretBuildStream(readNdjson(response), emit);
    } catch (error) {
      throw this.failure(contextError ?? error, signal, 'build');
    } finally {
      signal?.removeEventListener('abort', onAbort);
      response.destroy();
      if (!context.readableEnded) context.destroy();
    }
  }

  async inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails | undefined> {
    try {
      const data = await this.docker.getImage(reference).inspect();
      return {
        id: data.Id,
        repoTags: data.RepoTags ?? [],
        labels: data.Config?.Labels ?? {},
        layers: data.RootFS?.Layers ?? [],
        created: data.Created,
        repoDigests: data.RepoDigests ?? [],
        size: data.Size ?? 0,
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failure(error, signal, `inspect image ${reference}`);
    }
  }

  async findImagesByLabel(label: string, value: string, signal?: AbortSignal): Promise<string[]> {
    try {
      const images = await this.docker.listImages({
        filters: JSON.stringify({ label: [`${label}=${value}`] }),
        ...(signal ? { abortSignal: signal } : {}),
      } as Docker.ListImagesOptions);
      return [...images].sort((a, b) => b.Created - a.Created).map((image) => image.Id);
    } catch (error) {
      throw this.failure(error, signal, 'list images');
    }
  }

  async tagImage(imageId: string, repository: string, tag: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.docker.getImage(imageId).tag({ repo: repository, tag, ...(signal ? { abortSignal: signal } : {}) });
    } catch (error) {
      throw this.failure(error, signal, `tag ${imageId} as ${repository}:${tag}`);
    }
  }

  async removeImage(reference: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({
        ...(options.force === true ? { force: true } : {}),
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw this.failure(error, options.signal, `remove image ${reference}`);
    }
  }

  async *pushImage(request: EnginePushRequest, signal?: AbortSignal): AsyncGenerator<JsonMessage> {
    const action = `push ${request.repository}:${request.tag}`;
    signal?.throwIfAborted();
    let response: Readable;
    try {
      // `tag` is always set: without it the engine pushes every local tag of the repository.
      response = (await this.docker.getImage(request.repository).push({
        tag: request.tag,
        authconfig: { base64: encodeRegistryAuth(request.auth) },
        ...(signal ? { abortSignal: signal } : {}),
      } as unknown as Docker.ImagePushOptions)) as Readable;
    } catch (error) {
      throw this.failure(error, signal, action);
    }
    // Once the 200 response has started it is not tied to the signal; closing it makes the engine
    // cancel the push.
    const onAbort = (): void => {
      response.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const message of readNdjson(response)) yield message;
    } catch (error) {
      throw this.failure(error, signal, action);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      response.destroy();
    }
  }

  async distribution(reference: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<RegistryDescriptor> {
    try {
      // dockerode's distribution() takes no abort signal; the call is one short request.
      signal?.throwIfAborted();
      const data = (await this.docker.getImage(reference).distribution({ authconfig: { base64: encodeRegistryAuth(auth) } } as object)) as { Descriptor?: { mediaType?: string; digest?: string; size?: number } };
      const descriptor = data.Descriptor;
      if (typeof descriptor?.digest !== 'string') throw new PackError('ENGINE_BAD_ANSWER', `the engine's /distribution answer for ${reference} has no digest`);
      return { mediaType: descriptor.mediaType ?? '', digest: descriptor.digest, size: descriptor.size ?? 0 };
    } catch (error) {
      throw this.failure(error, signal, `ask the registry about ${reference} through the engine`);
    }
  }

  async registrySettings(signal?: AbortSignal): Promise<EngineRegistrySettings> {
    try {
      const info = (await (this.docker.info as (opts: object) => Promise<unknown>).call(this.docker, signal ? { abortSignal: signal } : {})) as {
        RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; IndexConfigs?: Record<string, { Secure?: boolean }> | null };
      };
      const config = info.RegistryConfig;
      const indexes: Record<string, { secure: boolean }> = {};
      for (const [name, index] of Object.entries(config?.IndexConfigs ?? {})) indexes[name] = { secure: index.Secure !== false };
      return { insecureCidrs: config?.InsecureRegistryCIDRs ?? [], indexes };
    } catch (error) {
      throw this.failure(error, signal, 'ask the engine for its registry settings');
    }
  }

  async saveImages(references: readonly string[], signal?: AbortSignal): Promise<Readable> {
    const action = `save ${references.join(', ')}`;
    signal?.throwIfAborted();
    let response: Readable;
    try {
      // /images/get?names=a&names=b (docker-modem writes arrays as repeated keys): one tar holding
      // every reference, each tag in the RepoTags of manifest.json.
      // @types/dockerode omits getImages (lib/docker.js has it, with abortSignal).
      const docker = this.docker as unknown as { getImages(options: object): Promise<unknown> };
      response = (await docker.getImages({ names: [...references], ...(signal ? { abortSignal: signal } : {}) })) as Readable;
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new PackError('IMAGE_NOT_FOUND', `${action}: no such image on ${this.endpoint.url}`, { cause: error, hint: 'check the name with `docker images`' });
      }
      throw this.failure(error, signal, action);
    }
    // Once the 200 response has started it is not tied to the signal (see the file comment).
    const onAbort = (): void => {
      response.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    response.once('close', () => signal?.removeEventListener('abort', onAbort));
    return response;
  }

  async loadImages(archive: Readable, signal?: AbortSignal): Promise<LoadedImages> {
    signal?.throwIfAborted();
    let archiveError: unknown;
    archive.once('error', (error) => {
      archiveError = error;
    });
    let response: Readable;
    try {
      // The file is piped into the request (docker-modem `file`), chunked, with backpressure.
      response = (await this.docker.loadImage(archive, { quiet: true, ...(signal ? { abortSignal: signal } : {}) } as object)) as Readable;
    } catch (error) {
      archive.destroy();
      throw archiveError instanceof PackError ? archiveError : this.failure(archiveError ?? error, signal, 'load an image archive');
    }
    const onAbort = (): void => {
      response.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const tags: string[] = [];
    const ids: string[] = [];
    try {
      // Messages: {"stream":"Loaded image: NAME:TAG\n"} or {"stream":"Loaded image ID: sha256:…\n"};
      // a refused archive is {"errorDetail":{…},"error":"…"} inside the 200 answer.
      for await (const message of readNdjson(response)) {
        const error = messageError(message);
        if (error !== undefined) throw new PackError('IMAGE_LOAD_FAILED', `the engine refused the image archive: ${error}`);
        const text = typeof message.stream === 'string' ? message.stream.trim() : '';
        const loadedId = /^Loaded image ID: (\S+)$/.exec(text);
        const loaded = /^Loaded image: (\S+)$/.exec(text);
        if (loadedId?.[1] !== undefined) ids.push(loadedId[1]);
        else if (loaded?.[1] !== undefined) tags.push(loaded[1]);
      }
    } catch (error) {
      if (error instanceof PackError && error.code === 'IMAGE_LOAD_FAILED') throw error;
      throw archiveError instanceof PackError ? archiveError : this.failure(archiveError ?? error, signal, 'load an image archive');
    } finally {
      signal?.removeEventListener('abort', onAbort);
      response.destroy();
      if (!archive.readableEnded) archive.destroy();
    }
    if (archiveError !== undefined) throw archiveError instanceof PackError ? archiveError : this.failure(archiveError, signal, 'load an image archive');
    return { tags, ids };
  }

  /** An aborted call reports the abort reason (Ctrl-C → exit 130), not the socket error it caused. */
  private failure(error: unknown, signal: AbortSignal | undefined, action: string): unknown {
    if (signal?.aborted === true) {
      const reason: unknown = signal.reason;
      return reason instanceof PackError ? reason : new PackError('INTERRUPTED', 'interrupted', { exitCode: 130 });
    }
    return classifyEngineError(error, this.endpoint, action);
  }
}
