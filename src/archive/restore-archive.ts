/**
 * `pack restore`: the three things one does with a verified archive.
 *  - load: the archive file is streamed as it is into the engine's /images/load (the engine
 *    reads gzip and ignores pack/), the recorded tags are applied again, and each tag (or the ID
 *    when there is none) must then name exactly the recorded image ID — a load that produced
 *    anything else is a failure, not a success with a different image;
 *  - rebuild: the archived context tar is streamed straight from the archive into /build with
 *    the recorded Dockerfile name, build args, labels, target, platform and network; the new
 *    image's layers are compared with the recorded diff IDs one by one (COPY/ADD layers from
 *    the deterministic context should come out identical; RUN layers usually differ by file times);
 *  - extract: the context (which holds the Dockerfile under its recorded name) unpacked safely.
 * Verification comes first in the command; these functions assume a verified archive and still
 * check what they rely on.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { BUILD_DIGEST_LABEL } from '../build/build-digest.js';
import type { ArchiveEngine, Engine } from '../engine/engine.js';
import { PackError } from '../errors.js';
import type { Emit } from '../progress/events.js';
import { CONTEXT_MEMBER } from './archive-layout.js';
import type { ArchiveManifest } from './archive-manifest.js';
import { layerCommands } from './image-config.js';
import { memberData } from './member-stream.js';
import { extractTar, type ExtractResult } from './safe-extract.js';

export interface RestoreDeps {
  readonly engine: Engine & ArchiveEngine;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  readonly imageId: string;
  readonly tags: readonly string[];
}

const PROGRESS_BYTES = 8 * 1024 * 1024;

/** Loads the archive, re-applies the recorded tags (and `extraTags`), and proves the image ID. */
export async function loadArchive(path: string, fileBytes: number, manifest: ArchiveManifest, extraTags: readonly string[], deps: RestoreDeps): Promise<LoadResult> {
  const { engine, signal } = deps;
  const expected = manifest.image.id;
  deps.emit({ type: 'restore.step', step: 'load', message: `Loading ${expected.slice(7, 19)} into ${engine.endpoint.url}` });
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let read = 0;
  let reported = 0;
  file.on('data', (chunk: Buffer | string) => {
    read += chunk.length;
    if (read - reported >= PROGRESS_BYTES || read === fileBytes) {
      reported = read;
      deps.emit({ type: 'archive.progress', operation: 'load', bytes: read, totalBytes: fileBytes });
    }
  });
  const loaded = await engine.loadImages(file, signal);

  const tags = [...manifest.image.repoTags, ...extraTags.filter((tag) => !manifest.image.repoTags.includes(tag))];
  for (const tag of tags) {
    const { repository, tag: version } = splitTag(tag);
    await engine.tagImage(expected, repository, version, signal);
  }
  // The proof: every name now points at the recorded image.
  for (const reference of tags.length > 0 ? tags : [expected]) {
    const details = await engine.inspectImage(reference, signal);
    if (details?.id !== expected) {
      throw new PackError(
        'RESTORE_ID_MISMATCH',
        `after loading, ${reference} is ${details?.id ?? 'missing'}, not the recorded image ${expected} (the engine reported loading ${[...loaded.tags, ...loaded.ids].join(', ') || 'nothing'})`,
        { hint: 'the engine did not load the archived image; run pack verify on the archive and check the engine' },
      );
    }
  }
  if (tags.length > 0) deps.emit({ type: 'restore.step', step: 'tag', message: `Tagged ${expected.slice(7, 19)}: ${tags.join(', ')}` });
  return { imageId: expected, tags };
}

export interface LayerComparison {
  readonly index: number;
  /** The instruction that made the layer, from the archived config's history. */
  readonly command: string;
  readonly archived: string | null;
  readonly rebuilt: string | null;
  readonly identical: boolean;
}

export interface RebuildResult {
  readonly imageId: string;
  /** True when the rebuild produced the archived image itself (same ID). */
  readonly sameImage: boolean;
  readonly identical: number;
  readonly layers: readonly LayerComparison[];
  readonly tags: readonly string[];
}

/** Rebuilds from the archived context and Dockerfile and compares the layers with the archived ones. */
export async function rebuildFromArchive(
  path: string,
  manifest: ArchiveManifest,
  options: { tags: readonly string[]; noCache: boolean },
  deps: RestoreDeps,
): Promise<RebuildResult> {
  const { engine, signal } = deps;
  const { build } = manifest;
  deps.emit({ type: 'restore.step', step: 'rebuild', message: `Rebuilding from ${CONTEXT_MEMBER} with ${build.dockerfile.nameInContext} on ${engine.endpoint.url}` });
  const context = Readable.from(memberData(path, manifest.context.member, signal), { objectMode: false, highWaterMark: 1024 * 1024 });
  const labels = { ...build.labels, ...(build.buildDigest !== null ? { [BUILD_DIGEST_LABEL]: build.buildDigest } : {}) };
  const result = await engine.build(
    {
      context,
      dockerfile: build.dockerfile.nameInContext,
      tags: [...options.tags],
      buildArgs: build.buildArgs,
      labels,
      ...(build.target !== null ? { target: build.target } : {}),
      ...(build.platform !== null ? { platform: build.platform } : {}),
      network: build.network,
      noCache: options.noCache,
    },
    { ...(signal ? { signal } : {}), emit: deps.emit },
  );
  const details = await engine.inspectImage(result.imageId, signal);
  if (details === undefined) throw new PackError('IMAGE_NOT_FOUND', `the rebuilt image ${result.imageId} is not on the engine`);
  const layers = compareLayers(manifest, details.layers);
  return {
    imageId: result.imageId,
    sameImage: result.imageId === manifest.image.id,
    identical: layers.filter((layer) => layer.identical).length,
    layers,
    tags: options.tags,
  };
}

/** Layer i of the rebuild against layer i of the archive, with the instruction that made it. */
export function compareLayers(manifest: Pick<ArchiveManifest, 'image'>, rebuilt: readonly string[]): LayerComparison[] {
  const archived = manifest.image.diffIds;
  const commands = layerCommands({ diffIds: archived, history: manifest.image.history });
  const count = Math.max(archived.length, rebuilt.length);
  return Array.from({ length: count }, (_, index) => {
    const before = archived[index] ?? null;
    const after = rebuilt[index] ?? null;
    return { index: index + 1, command: commands[index] ?? '', archived: before, rebuilt: after, identical: before !== null && before === after };
  });
}

/** Unpacks the archived context (with its Dockerfile) into `dest`, safely. */
export async function extractContext(path: string, manifest: ArchiveManifest, dest: string, deps: Pick<RestoreDeps, 'emit' | 'signal'>): Promise<ExtractResult> {
  deps.emit({ type: 'restore.step', step: 'extract', message: `Extracting ${manifest.context.member} into ${dest}` });
  return extractTar(memberData(path, manifest.context.member, deps.signal), dest, {
    emit: deps.emit,
    what: manifest.context.member,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

/** `name:tag` → repository and tag (the colon after the last slash; `latest` when there is none). */
export function splitTag(reference: string): { repository: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: 'latest' };
}
