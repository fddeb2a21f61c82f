/**
 * What pack needs from a Docker engine, and nothing about how it is reached. The dockerode-backed
 * implementation lives in dockerode-engine.ts (the only file that imports dockerode); tests and
 * other stages see only this interface.
 */
import type { Readable } from 'node:stream';
import type { Emit } from '../progress/events.js';
import type { EngineEndpoint } from './endpoint.js';
import type { JsonMessage } from './ndjson.js';
import type { RegistryAuth, RegistryConfig } from './registry-config.js';

export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly os: string;
  readonly arch: string;
}

export type NetworkMode = 'default' | 'none' | 'host';

export interface EngineBuildRequest {
  /** The context tar, streamed as it is produced; never buffered whole. */
  readonly context: Readable;
  /** Path of the Dockerfile inside the tar (the /build `dockerfile` parameter). */
  readonly dockerfile: string;
  /** Full references (`name:tag`), already validated. */
  readonly tags: readonly string[];
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platform?: string;
  readonly noCache?: boolean;
  readonly pull?: boolean;
  readonly network?: NetworkMode;
  /** Ask the engine for the image ID only (`q=1`): no step output. */
  readonly quiet?: boolean;
  /** Registry credentials for pulling base images (`X-Registry-Config`). */
  readonly registryConfig?: RegistryConfig;
}

export interface EngineBuildResult {
  /** `sha256:…` image ID. */
  readonly imageId: string;
  readonly steps: number;
  readonly cachedSteps: number;
}

/** The parts of `docker image inspect` pack reads. */
export interface ImageDetails {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly layers: readonly string[];
  readonly created: string;
  /** `repository@sha256:…` for each registry the engine pushed this image to or pulled it from. */
  readonly repoDigests: readonly string[];
  /** Bytes of all its layers (docker images SIZE): about the length of its `docker save` tar. */
  readonly size?: number;
}

export interface Engine {
  readonly endpoint: EngineEndpoint;
  /** Checks that the engine answers; fails with an EnvironmentError naming the endpoint if not. */
  info(signal?: AbortSignal): Promise<EngineInfo>;
  /**
   * Runs a build. Emits build.step / build.step.done / build.output events as the engine reports
   * them. Rejects with BuildStepError when a step fails (even though the HTTP status was 200),
   * with an EnvironmentError when the engine cannot be reached, and with the signal's reason when
   * aborted; the context stream is destroyed in every failure case.
   */
  build(request: EngineBuildRequest, options: { signal?: AbortSignal; emit?: Emit }): Promise<EngineBuildResult>;
  /** `undefined` when no such image (404). */
  inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails | undefined>;
  /** IDs of images carrying `label=value`, newest first. */
  findImagesByLabel(label: string, value: string, signal?: AbortSignal): Promise<string[]>;
  /** Points `repository:tag` at an image. */
  tagImage(imageId: string, repository: string, tag: string, signal?: AbortSignal): Promise<void>;
  /** Removes an image reference; a reference that does not exist is not an error. */
  removeImage(reference: string, options?: { force?: boolean; signal?: AbortSignal }): Promise<void>;
}

export interface EnginePushRequest {
  /** The repository as the local tag carries it (`127.0.0.1:5000/app`, `me/app`), without a tag. */
  readonly repository: string;
  /** Exactly one tag: an engine push without a tag pushes every local tag of the repository. */
  readonly tag: string;
  /** Sent as X-Registry-Auth; anonymous when undefined. */
  readonly auth?: RegistryAuth;
}

/** A manifest descriptor as the registry reports it (GET /distribution/{name}/json). */
export interface RegistryDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** How the engine treats registries (GET /info RegistryConfig). */
export interface EngineRegistrySettings {
  /** CIDRs of registries the engine reaches over plain HTTP or unverified TLS (127.0.0.0/8 by default). */
  readonly insecureCidrs: readonly string[];
  /** Registries the engine knows by name, and whether it requires verified TLS for them. */
  readonly indexes: Readonly<Record<string, { readonly secure: boolean }>>;
}

/** What pack needs from an engine to publish images: a concern of its own, beside building. */
export interface PushEngine {
  readonly endpoint: EngineEndpoint;
  /**
   * POST /images/{repository}/push?tag=TAG, yielding the engine's JSON messages as they arrive.
   * HTTP 200 is not success: a refused or failed push arrives as a message with `error`, which the
   * caller interprets. Transport failures are thrown as classified PackErrors; an abort destroys
   * the stream (the engine then cancels the push) and throws the signal's reason.
   */
  pushImage(request: EnginePushRequest, signal?: AbortSignal): AsyncIterable<JsonMessage>;
  /** The engine asks the registry for `reference`'s manifest descriptor, with these credentials. */
  distribution(reference: string, auth: RegistryAuth | undefined, signal?: AbortSignal): Promise<RegistryDescriptor>;
  registrySettings(signal?: AbortSignal): Promise<EngineRegistrySettings>;
  inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails | undefined>;
  tagImage(imageId: string, repository: string, tag: string, signal?: AbortSignal): Promise<void>;
}

/** What the engine reported loading (POST /images/load): the tags it applied and the untagged image IDs. */
export interface LoadedImages {
  readonly tags: readonly string[];
  readonly ids: readonly string[];
}

/**
 * What `pack archive` and `pack restore` need: images out of and into the engine as `docker save`
 * tars, streamed both ways (never buffered whole, never written to a temporary file by pack).
 */
export interface ArchiveEngine {
  readonly endpoint: EngineEndpoint;
  info(signal?: AbortSignal): Promise<EngineInfo>;
  /**
   * GET /images/get?names=…: the `docker save` tar of these references (tags, or an ID), as the
   * engine streams it. An unknown reference (404 before the stream starts) is a PackError
   * IMAGE_NOT_FOUND. Aborting destroys the stream.
   */
  saveImages(references: readonly string[], signal?: AbortSignal): Promise<Readable>;
  /**
   * POST /images/load?quiet=1 with `archive` as the body (gzip is fine: the engine decompresses).
   * HTTP 200 is not success: a refused archive arrives as an error message in the stream, thrown
   * as a PackError (IMAGE_LOAD_FAILED) with the engine's words. The archive stream is destroyed
   * in every failure case.
   */
  loadImages(archive: Readable, signal?: AbortSignal): Promise<LoadedImages>;
  inspectImage(reference: string, signal?: AbortSignal): Promise<ImageDetails | undefined>;
  tagImage(imageId: string, repository: string, tag: string, signal?: AbortSignal): Promise<void>;
}
