/**
 * `pack archive`, deciding and doing: build the image with `pack build`'s own orchestration (or
 * take `--image REF`), then stream `docker save` of it, with the build context re-encoded from the
 * same entry list (deterministic: the same bytes the build sent), the Dockerfile, a README and the
 * manifest, into one file written under a temporary name and renamed only when complete.
 *
 * The context is proved to be the one that made the image: its content digest must equal the
 * build's (computed with the stat cache, so cheap), else the project changed in between and the
 * archive is refused. With `--image` pack did not build the image, and the manifest says so
 * (build.mode "given").
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { cachedContextDigest } from '../build/build-digest.js';
import { responseChunks } from '../engine/response-chunks.js';
import type { BuildOptions } from '../build/build-options.js';
import { formatImageTag } from '../build/build-options.js';
import { readDockerfileFacts } from '../build/dockerfile-facts.js';
import type { GitInfo } from '../build/git-info.js';
import { contextRequestOf, runBuild, type BuildRequest } from '../build/run-build.js';
import { prepareContext, type PreparedContext } from '../context/prepare.js';
import { tarContext, tarSize } from '../context/tar-encoder.js';
import { judgePath } from '../context/walk.js';
import type { ArchiveEngine, Engine } from '../engine/engine.js';
import { PackError, UsageError, errnoCode } from '../errors.js';
import { writeFileAtomically } from '../output/atomic-file.js';
import { gzipStream } from '../output/gzip.js';
import { parseImageReference } from '../plan/image-reference.js';
import type { Emit, PackEvent } from '../progress/events.js';
import { DOCKERFILE_MEMBER, CONTEXT_MEMBER } from './archive-layout.js';
import { ARCHIVE_MANIFEST_MEDIA_TYPE, type ArchiveManifest, type BaseImage, type SourceDateEpochOrigin } from './archive-manifest.js';
import { renderReadme } from './readme.js';
import { archiveStream, type WrittenArchive } from './write-archive.js';

export interface ArchiveRequest {
  /** Absolute path of the file to write. */
  readonly output: string;
  readonly gzip: boolean;
  /** What `pack build` would be asked (context, options, Dockerfile choice, labels, stat cache). */
  readonly build: BuildRequest;
  /** `--image REF`: archive this image instead of building. */
  readonly image?: string;
  readonly source: {
    readonly git: GitInfo | undefined;
    readonly sourceDateEpochFrom: SourceDateEpochOrigin | undefined;
  };
  /**
   * The detected project plan, for the manifest (null when detection could not decide); asked
   * for once the engine is already preparing the save.
   */
  readonly plan: () => unknown;
  readonly packVersion: string;
}

export interface ArchiveDeps {
  readonly engine: Engine & ArchiveEngine;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  /** Milliseconds since the epoch (the manifest's `created`, durations). */
  readonly now?: () => number;
}

export interface ArchiveResult {
  readonly output: string;
  /** Size of the file written. */
  readonly bytes: number;
  /** Bytes of tar inside it (before compression). */
  readonly tarBytes: number;
  readonly gzip: boolean;
  /** sha256 of pack/manifest.json: the archive's identity. */
  readonly manifestDigest: string;
  readonly imageId: string;
  readonly tags: readonly string[];
  readonly mode: ArchiveManifest['build']['mode'];
  readonly contextDigest: string;
  readonly durations: { readonly buildMs: number; readonly archiveMs: number; readonly totalMs: number };
}

const PROGRESS_BYTES = 8 * 1024 * 1024;
/** The archive is flushed to disk as it is written, not all at the end (see writeFileAtomically). */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

export async function runArchive(request: ArchiveRequest, deps: ArchiveDeps): Promise<ArchiveResult> {
  const { engine, signal } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const { build } = request;
  const { options } = build;

  // The context as the build will send it; prepared first (no walk yet) to check the output path.
  const prepared = prepareContext(contextRequestOf(build));
  checkOutputOutsideContext(request.output, prepared);

  // 1. The image: built now (or found unchanged), or given.
  let imageId: string;
  let mode: ArchiveManifest['build']['mode'];
  let builtContextDigest: string | undefined;
  let buildDigest: string | undefined;
  const tags = options.tags.map(formatImageTag);
  if (request.image === undefined) {
    const result = await runBuild(build, { engine, emit: deps.emit, ...(signal ? { signal } : {}), now });
    imageId = result.imageId;
    mode = result.skipped ? 'reused' : 'built';
    builtContextDigest = result.contextDigest;
    buildDigest = result.buildDigest;
  } else {
    await engine.info(signal);
    const given = await engine.inspectImage(request.image, signal);
    if (given === undefined) {
      throw new UsageError('IMAGE_NOT_FOUND', `--image ${request.image}: no such image on ${engine.endpoint.url}`, { hint: 'check the name with `docker images`, or leave --image out to build' });
    }
    imageId = given.id;
    mode = 'given';
    for (const reference of options.tags) await engine.tagImage(imageId, reference.repository, reference.tag, signal);
    // Saved by its name too, so that `docker load` restores that tag. A name without a tag means
    // `latest`, as in docker: saving a bare name would save every tag of the repository.
    if (!/^(sha256:)?[0-9a-f]{12,64}$/.test(request.image)) {
      const reference = parseImageReference(request.image, `--image ${JSON.stringify(request.image)}`);
      const named = `${reference.name}:${reference.tag ?? 'latest'}`;
      if (reference.digest === undefined && !tags.includes(named)) tags.unshift(named);
    }
  }
  const buildDone = now();

  // The engine writes the whole save into a temporary directory of its own before it sends the
  // first byte (moby image/tarexport: seconds per GB), so it is asked now and works while pack
  // walks and digests the context; its stream waits, unread, meanwhile.
  const saving = engine.saveImages(tags.length > 0 ? tags : [imageId], signal);
  saving.catch(() => {});
  try {
    return await writeArchive(request, deps, { prepared, imageId, mode, tags, builtContextDigest, buildDigest, saving, started, buildDone });
  } finally {
    // The engine stops writing the tar once its connection closes.
    await saving.then((stream) => stream.destroy(), () => {});
  }
}

interface Decided {
  readonly prepared: PreparedContext;
  readonly imageId: string;
  readonly mode: ArchiveManifest['build']['mode'];
  readonly tags: readonly string[];
  /** The build's content digest of its context, when pack built (or reused) the image. */
  readonly builtContextDigest: string | undefined;
  readonly buildDigest: string | undefined;
  /** The engine's save stream, requested early. */
  readonly saving: Promise<Readable>;
  readonly started: number;
  readonly buildDone: number;
}

async function writeArchive(request: ArchiveRequest, deps: ArchiveDeps, decided: Decided): Promise<ArchiveResult> {
  const { engine, signal } = deps;
  const now = deps.now ?? Date.now;
  const { build } = request;
  const { options } = build;
  const { prepared, imageId, mode, tags, builtContextDigest, buildDigest, saving, started, buildDone } = decided;

  // 2. The context, exactly as the build sent it, and the Dockerfile.
  const dropContextEvents: Emit = (event: PackEvent) => {
    // "Sent context" lines belong to builds; the archive has its own progress.
    if (event.type !== 'context.progress' && event.type !== 'context.done') deps.emit(event);
  };
  const entries = [...prepared.entries({ emit: dropContextEvents, ...(signal ? { signal } : {}) })];
  const ctxDigest = await cachedContextDigest(entries, build.cacheFile, now, signal);
  if (builtContextDigest !== undefined && ctxDigest !== builtContextDigest) {
    throw new PackError('ARCHIVE_CONTEXT_CHANGED', `the project changed between the build and the archive (context ${ctxDigest}, built from ${builtContextDigest})`, {
      hint: 'run pack archive again without editing the project meanwhile',
    });
  }
  const dockerfile = await dockerfileBytes(prepared, build.dockerfileContent);
  const dockerfileText = dockerfile.toString('utf8');

  // 3. Facts for the manifest: base images (with what the engine knows of them), the image itself.
  const base = await baseImages(engine, dockerfileText, options, signal);
  const details = await engine.inspectImage(imageId, signal);
  if (details === undefined) throw new PackError('IMAGE_NOT_FOUND', `image ${imageId} disappeared from the engine before it could be saved`);
  const version = await engine.info(signal);
  const labelArgs = Object.fromEntries((build.labelArgs ?? []).map(({ arg, label }) => [arg, build.labels[label] ?? '']));
  const buildArgs = { ...labelArgs, ...options.buildArgs };
  const created = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const mtime = options.sourceDateEpoch ?? Math.floor(now() / 1000);
  const sourceDirectory = basename(build.contextDir);
  const plan = request.plan() ?? null;
  const origin = prepared.dockerfile.injectedBecause === 'generated' ? 'generated' : prepared.dockerfile.injectedBecause === 'outside-context' ? 'outside-context' : 'project';

  const manifestFor = (written: WrittenArchive): ArchiveManifest => ({
    schemaVersion: 1,
    mediaType: ARCHIVE_MANIFEST_MEDIA_TYPE,
    pack: { version: request.packVersion },
    created,
    source: {
      directory: sourceDirectory,
      git: request.source.git === undefined ? null : { remote: request.source.git.remote ?? null, commit: request.source.git.commit, dirty: request.source.git.dirty },
      sourceDateEpoch: options.sourceDateEpoch ?? null,
      sourceDateEpochFrom: request.source.sourceDateEpochFrom ?? null,
    },
    image: {
      id: written.image.id,
      repoTags: written.image.repoTags,
      repoDigests: details.repoDigests,
      platform: { os: written.image.config.os, architecture: written.image.config.architecture, variant: written.image.config.variant },
      created: written.image.config.created,
      diffIds: written.image.config.diffIds,
      history: written.image.config.history,
      labels: written.image.config.labels,
      layout: written.layout,
      config: written.image.configPath,
      engine: { version: version.version, apiVersion: version.apiVersion },
    },
    base,
    build: {
      mode,
      dockerfile: { member: DOCKERFILE_MEMBER, nameInContext: prepared.dockerfile.nameInContext, origin, digest: written.dockerfileDigest },
      buildArgs,
      labels: build.labels,
      target: options.target ?? null,
      platform: options.platform ?? null,
      network: options.network,
      buildDigest: buildDigest ?? null,
    },
    context: {
      member: CONTEXT_MEMBER,
      digest: written.context.digest,
      size: written.context.size,
      entries: entries.length,
      contextDigest: ctxDigest,
      dockerignoreMode: options.dockerignoreMode,
    },
    plan,
    members: written.members,
  });

  // 4. Stream it all into the file.
  const contextSize = tarSize(entries, options.sourceDateEpoch);
  const estimatedBytes = (details.size ?? 0) + contextSize;
  deps.emit({ type: 'archive.start', output: request.output, imageId, tags, gzip: request.gzip, estimatedBytes });
  let reported = 0;
  const save = await saving;
  const { stream, summary } = archiveStream({
    image: responseChunks(save),
    imageId,
    dockerfile,
    context: {
      stream: tarContext(entries, {
        ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
        ...(signal ? { signal } : {}),
        emit: dropContextEvents,
        // pack hashes the members itself as they pass.
        digest: false,
      }),
      size: contextSize,
    },
    mtime,
    readme: (written) =>
      renderReadme({
        packVersion: request.packVersion,
        created,
        fileName: basename(request.output),
        gzip: request.gzip,
        imageId: written.image.id,
        repoTags: written.image.repoTags,
        platform: [written.image.config.os, written.image.config.architecture, written.image.config.variant].filter((part) => part !== null).join('/'),
        sourceDirectory,
        git: request.source.git === undefined ? null : { remote: request.source.git.remote ?? null, commit: request.source.git.commit, dirty: request.source.git.dirty },
        dockerfileInContext: prepared.dockerfile.nameInContext,
        buildArgs,
        labels: build.labels,
        target: options.target ?? null,
        baseImages: base,
      }),
    manifest: manifestFor,
    onProgress: (bytes) => {
      if (bytes - reported < PROGRESS_BYTES) return;
      reported = bytes;
      deps.emit({ type: 'archive.progress', operation: 'write', bytes, totalBytes: estimatedBytes });
    },
  });
  const archiveStarted = now();
  const source = Readable.from(stream, { objectMode: false, highWaterMark: 1024 * 1024 });
  const written = await writeFileAtomically(request.output, source, {
    ...(signal ? { signal } : {}),
    ...(request.gzip ? { transform: gzipStream() } : {}),
    syncEveryBytes: SYNC_EVERY_BYTES,
  });
  deps.emit({ type: 'archive.progress', operation: 'write', bytes: summary.bytes, totalBytes: summary.bytes });
  const end = now();
  const manifestDigest = summary.manifestDigest as string;
  deps.emit({ type: 'archive.done', output: request.output, bytes: written.bytes, manifestDigest, durationMs: end - archiveStarted });
  return {
    output: request.output,
    bytes: written.bytes,
    tarBytes: summary.bytes,
    gzip: request.gzip,
    manifestDigest,
    imageId,
    tags: summary.manifest?.image.repoTags ?? tags,
    mode,
    contextDigest: ctxDigest,
    durations: { buildMs: buildDone - started, archiveMs: end - buildDone, totalMs: end - started },
  };
}

/**
 * An archive written inside its own build context would be sent to the build (an earlier archive
 * at that path, or a `.partial-` file left by an interrupted run) and land in the image: refused
 * unless .dockerignore keeps it out, judged by Docker's own rules.
 */
function checkOutputOutsideContext(output: string, prepared: PreparedContext): void {
  let rel: string;
  try {
    rel = relative(realpathSync(prepared.contextDir), join(realpathSync(dirname(output)), basename(output)));
  } catch {
    // The output directory does not exist: writing will say so.
    return;
  }
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return;
  const path = rel.split(sep).join('/');
  for (const candidate of [path, `${path}.partial-000000000000`]) {
    const verdict = judgePath(candidate, { matcher: prepared.matcher, mode: prepared.mode, isDir: false, forceInclude: prepared.forceInclude });
    if (verdict.sent) {
      throw new UsageError('ARCHIVE_OUTPUT_IN_CONTEXT', `-o ${output} is inside the build context and .dockerignore does not exclude ${candidate}: the archive would be packed into its own image`, {
        hint: `write the archive outside ${prepared.contextDir}, or add "/${path}*" to .dockerignore`,
      });
    }
  }
}

async function dockerfileBytes(prepared: PreparedContext, content: Buffer | undefined): Promise<Buffer> {
  if (content !== undefined) return content;
  const path = prepared.dockerfile.path as string;
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError('DOCKERFILE_UNREADABLE', `cannot read ${path}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}

/**
 * Each FROM image that is not an earlier stage, with the image ID and registry digests the engine
 * has for it now: what the build started from. An image the engine does not have (or a name with
 * an unresolved ${ARG}) is recorded with id null.
 */
async function baseImages(engine: ArchiveEngine, dockerfile: string, options: BuildOptions, signal?: AbortSignal): Promise<BaseImage[]> {
  const facts = readDockerfileFacts(dockerfile, options.buildArgs);
  const targetIndex = options.target === undefined ? -1 : facts.stages.findIndex((stage) => stage.name?.toLowerCase() === options.target?.toLowerCase());
  const stages = targetIndex === -1 ? facts.stages : facts.stages.slice(0, targetIndex + 1);
  const seen = new Set<string>();
  const out: BaseImage[] = [];
  for (const stage of stages) {
    if (stage.fromStage || seen.has(stage.from)) continue;
    seen.add(stage.from);
    const details = stage.from.includes('$') ? undefined : await engine.inspectImage(stage.from, signal);
    out.push({ reference: stage.from, id: details?.id ?? null, repoDigests: details?.repoDigests ?? [] });
  }
  return out;
}
