/**
 * Progress is a stream of typed events. Stages emit them; reporters (tty, plain, json) draw them.
 * Stages never write to the terminal themselves.
 */

export interface WarningEvent {
  readonly type: 'warning';
  /** Stable identifier, e.g. `context.socket-skipped`. */
  readonly code: string;
  readonly message: string;
  readonly path?: string;
}

export interface ContextProgressEvent {
  readonly type: 'context.progress';
  readonly files: number;
  readonly bytes: number;
  /** Total bytes to send when already known (after the walk), else undefined. */
  readonly totalBytes?: number;
}

export interface ContextDoneEvent {
  readonly type: 'context.done';
  readonly files: number;
  readonly bytes: number;
  readonly sha256?: string;
}

/** `pack build` is about to send the context to an engine. */
export interface BuildStartEvent {
  readonly type: 'build.start';
  /** Engine address, e.g. `unix:///var/run/docker.sock`, and why it was chosen. */
  readonly engine: string;
  readonly engineReason: string;
  /** How the engine was chosen: flag, context-flag, DOCKER_HOST, DOCKER_CONTEXT, config or default. */
  readonly engineSource: string;
  /** The Dockerfile as the user knows it (path relative to the project, or `(generated)`). */
  readonly dockerfile: string;
  readonly tags: readonly string[];
  /** Number of build steps (Docker's classic builder counts every instruction), when known. */
  readonly steps?: number;
}

/** The engine started a step (`Step i/N : INSTRUCTION`). */
export interface BuildStepEvent {
  readonly type: 'build.step';
  readonly index: number;
  readonly total: number;
  readonly instruction: string;
  /** 1-based line of the instruction in the Dockerfile, when pack could map the step. */
  readonly line?: number;
}

/** A step finished; `cached` when the engine reused a cached layer (` ---> Using cache`). */
export interface BuildStepDoneEvent {
  readonly type: 'build.step.done';
  readonly index: number;
  readonly cached: boolean;
}

/** One line of output from a step (RUN output, pull status). */
export interface BuildOutputEvent {
  readonly type: 'build.output';
  readonly step?: number;
  readonly text: string;
}

/** An image with the same build digest exists: nothing was sent, only the tags were applied. */
export interface BuildSkippedEvent {
  readonly type: 'build.skipped';
  readonly imageId: string;
  readonly digest: string;
  readonly tags: readonly string[];
}

export interface BuildDoneEvent {
  readonly type: 'build.done';
  readonly imageId: string;
  readonly tags: readonly string[];
  readonly durationMs: number;
}

/** The build failed; the error itself is reported by the CLI. */
export interface BuildFailedEvent {
  readonly type: 'build.failed';
  readonly code: string;
  readonly message: string;
}

export type BuildEvent =
  | BuildStartEvent
  | BuildStepEvent
  | BuildStepDoneEvent
  | BuildOutputEvent
  | BuildSkippedEvent
  | BuildDoneEvent
  | BuildFailedEvent;

/** A push of one or more tags begins. Credentials are named by where they came from, never by value. */
export interface PushStartEvent {
  readonly type: 'push.start';
  /** `repository:tag` in push order. */
  readonly references: readonly string[];
  readonly engine: string;
  /** Per registry: `credHelpers["ghcr.io"] in …/config.json (docker-credential-gh)`, `no credentials …`. */
  readonly credentials: readonly { readonly registry: string; readonly source: string }[];
}

/** The engine's status words for a layer, as kinds: Preparing, Waiting, Pushing, Pushed, Layer already exists, Mounted from …, Retrying in N seconds. */
export type PushLayerStatus = 'preparing' | 'waiting' | 'pushing' | 'pushed' | 'exists' | 'mounted' | 'retrying';

export interface PushLayerEvent {
  readonly type: 'push.layer';
  readonly reference: string;
  /** Short layer ID as the engine prints it (12 hex). */
  readonly layer: string;
  readonly status: PushLayerStatus;
  /** Bytes sent and the layer's size, while pushing. */
  readonly current?: number;
  readonly total?: number;
  /** The engine's words when they say more than the status: `Mounted from library/busybox`, `Retrying in 5 seconds`. */
  readonly detail?: string;
}

export interface PushTagStartEvent {
  readonly type: 'push.tag.start';
  readonly reference: string;
  /** 1-based attempt, and how many pack makes at most. */
  readonly attempt: number;
  readonly attempts: number;
}

/** A transient failure (registry restarting, connection reset); pack waits and pushes the tag again. */
export interface PushRetryEvent {
  readonly type: 'push.retry';
  readonly reference: string;
  /** The attempt that failed. */
  readonly attempt: number;
  readonly attempts: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** A tag landed: the digest the engine reported, confirmed with the registry (or the engine's record). */
export interface PushTagDoneEvent {
  readonly type: 'push.tag.done';
  readonly reference: string;
  readonly digest: string;
  /** `repository@sha256:…`, to pin. */
  readonly pinned: string;
  /** `registry` (HEAD /v2/…/manifests/TAG), `engine-distribution` (the engine asked the registry), `repo-digests` (image inspect). */
  readonly confirmedBy: string;
  readonly durationMs: number;
}

export interface PushDoneEvent {
  readonly type: 'push.done';
  readonly pushed: readonly { readonly reference: string; readonly digest: string }[];
  readonly durationMs: number;
}

/** The push failed; lists say exactly which tags landed and which did not. */
export interface PushFailedEvent {
  readonly type: 'push.failed';
  readonly code: string;
  readonly message: string;
  readonly pushed: readonly string[];
  readonly failed: readonly string[];
  readonly notPushed: readonly string[];
}

export type PushEvent = PushStartEvent | PushLayerEvent | PushTagStartEvent | PushRetryEvent | PushTagDoneEvent | PushDoneEvent | PushFailedEvent;

/** `pack archive` starts writing: the image it saves from the engine and where it writes it. */
export interface ArchiveStartEvent {
  readonly type: 'archive.start';
  readonly output: string;
  readonly imageId: string;
  readonly tags: readonly string[];
  readonly gzip: boolean;
  /** About the bytes of tar to write (image size + context), for a bar's total. */
  readonly estimatedBytes?: number;
}

/**
 * Bytes moved by an archive command: `write` counts the tar produced (before compression),
 * `verify` and `load` the bytes of the archive file read.
 */
export interface ArchiveProgressEvent {
  readonly type: 'archive.progress';
  readonly operation: 'write' | 'verify' | 'load';
  readonly bytes: number;
  readonly totalBytes?: number;
}

export interface ArchiveDoneEvent {
  readonly type: 'archive.done';
  readonly output: string;
  /** Size of the file written (after compression). */
  readonly bytes: number;
  /** sha256 of pack/manifest.json, which lists every other digest: the archive's identity. */
  readonly manifestDigest: string;
  readonly durationMs: number;
}

/** `pack verify` (or the verification `pack restore` starts with) has read the whole archive. */
export interface VerifyDoneEvent {
  readonly type: 'verify.done';
  readonly archive: string;
  readonly ok: boolean;
  readonly problems: number;
  readonly durationMs: number;
}

/** A step of `pack restore`, told in a line: loading, tagging, rebuilding, extracting. */
export interface RestoreStepEvent {
  readonly type: 'restore.step';
  readonly step: 'load' | 'tag' | 'rebuild' | 'extract';
  readonly message: string;
}

export interface RestoreDoneEvent {
  readonly type: 'restore.done';
  readonly imageId: string;
  readonly tags: readonly string[];
  readonly durationMs: number;
}

export type ArchiveEvent = ArchiveStartEvent | ArchiveProgressEvent | ArchiveDoneEvent | VerifyDoneEvent | RestoreStepEvent | RestoreDoneEvent;

export type PackEvent = WarningEvent | ContextProgressEvent | ContextDoneEvent | BuildEvent | PushEvent | ArchiveEvent;

export type Emit = (event: PackEvent) => void;

/** An emitter that drops everything, for callers that do not report progress. */
export const silent: Emit = () => {};
