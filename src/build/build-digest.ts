/**
 * The build digest that makes "skip when unchanged" possible: sha256 over everything that decides
 * what the engine would build — the context (entry list + file contents, the Dockerfile among
 * them), the Dockerfile's name, build args, labels, target, platform, network mode and the IDs of
 * the base images. pack labels every image it builds with it; an image already carrying the
 * same digest is the image this build would produce.
 *
 * mtimes are left out on purpose: Docker's own cache ignores them for COPY/ADD (a fresh checkout
 * of the same commit is a cache hit), and pack's skip follows the same rule. Labels whose value
 * is the build time (org.opencontainers.image.created) are left out for the same reason.
 */
import { createHash } from 'node:crypto';
import type { ContextEntry } from '../context/entry.js';
import type { NetworkMode } from '../engine/engine.js';
import { StatCache } from './stat-cache.js';

/** The label pack puts on every image it builds. */
export const BUILD_DIGEST_LABEL = 'dev.pack.build.digest';

/** Files hashed at once: enough to keep the disk and the thread pool busy. */
const CONCURRENCY = 16;

export interface BuildDigestInput {
  readonly dockerfileName: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Labels that describe the inputs (not the build time). */
  readonly labels: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platform?: string;
  readonly network: NetworkMode;
  /** Image IDs of the FROM images, in Dockerfile order. */
  readonly baseImageIds: readonly string[];
}

/** sha256 of the context as a list: one line per entry with its content hash. */
/**
 * contextDigest with the user's stat cache loaded from `cacheFile` and saved afterwards, so that the
 * next build re-reads only files whose size, times, inode or mode changed.
 */
export async function cachedContextDigest(entries: Iterable<ContextEntry>, cacheFile: string | undefined, now: () => number, signal?: AbortSignal): Promise<string> {
  const cache = await StatCache.load(cacheFile, now);
  let digest: string;
  try {
    digest = await contextDigest(entries, cache, signal);
  } finally {
    await cache.close();
  }
  await cache.save();
  return digest;
}

export async function contextDigest(entries: Iterable<ContextEntry>, cache: StatCache, signal?: AbortSignal): Promise<string> {
  const list = [...entries];
  const hashes: string[] = new Array<string>(list.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      signal?.throwIfAborted();
      const index = next++;
      const entry = list[index] as ContextEntry;
      if (entry.type !== 'file') hashes[index] = '';
      else if (entry.content !== undefined) hashes[index] = createHash('sha256').update(entry.content).digest('hex');
      else if (entry.source !== undefined) hashes[index] = await cache.hash(entry.source, entry.size);
      else hashes[index] = '';
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, list.length) }, worker));
  const digest = createHash('sha256');
  list.forEach((entry, index) => {
    digest.update(`${JSON.stringify([entry.path, entry.type, (entry.mode & 0o7777).toString(8), entry.content?.length ?? entry.size, entry.linkname ?? '', hashes[index]])}\n`);
  });
  return `sha256:${digest.digest('hex')}`;
}

export function buildDigest(context: string, input: BuildDigestInput): string {
  const sorted = (record: Readonly<Record<string, string>>): [string, string][] =>
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const document = {
    v: 1,
    context,
    dockerfile: input.dockerfileName,
    buildArgs: sorted(input.buildArgs),
    labels: sorted(input.labels),
    target: input.target ?? null,
    platform: input.platform ?? null,
    network: input.network,
    bases: input.baseImageIds,
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;
}
