/**
 * What pack needs from a Docker engine, and nothing about how it is reached. The dockerode-backed
 * implementation lives in dockerode-engine.ts (the only file that imports dockerode); tests and
 * other stages see only this interface.
 */
import type { Readable } from 'node:stream';
import type { Emit } from '../progress/events.js';
import type { EngineEndpoint } from './endpoint.js';
import type { RegistryConfig } from './registry-config.js';

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
