/**
 * The `manifest.json` every `docker save` writes at its root (moby image/tarexport), in both
 * layouts:
 *   Docker ≤ 24: [{"Config": "<config hex>.json", "RepoTags": [...], "Layers": ["<v1 id>/layer.tar", ...]}]
 *   Docker ≥ 25: [{"Config": "blobs/sha256/<config hex>", "RepoTags": [...], "Layers": ["blobs/sha256/<diff id hex>", ...]}]
 * `docker load` reads this file (and only falls back to the pre-1.10 `repositories` file when it is
 * absent), so it is what decides what a load produces; pack checks it the way the image ID is
 * defined: the config's sha256 is the image ID, and layer i's sha256 (of its uncompressed tar) is
 * the config's rootfs.diff_ids[i].
 */
import { digestMismatch, problem, type ArchiveProblem } from './archive-problem.js';
import { readImageConfig, type ImageConfigFacts } from './image-config.js';
import type { DigestedMember } from './member-digests.js';
import { asObject, asStringArray, type SavedMembers } from './saved-members.js';

export interface SavedLayer {
  /** The path the manifest names (before links are followed). */
  readonly path: string;
  /** What the config says the layer is. */
  readonly diffId: string;
  /** What the layer's data is: sha256 of the uncompressed tar; undefined when it could not be read. */
  readonly digest: string | undefined;
}

export interface SavedImage {
  /** sha256 of the config as found in the archive. */
  readonly id: string;
  readonly configPath: string;
  readonly config: ImageConfigFacts;
  readonly repoTags: readonly string[];
  readonly layers: readonly SavedLayer[];
}

/** Config names that carry the config's digest: `<hex>.json` (≤ 24) and `blobs/sha256/<hex>` (≥ 25). */
const CONFIG_NAME = [/^([0-9a-f]{64})\.json$/, /^blobs\/sha256\/([0-9a-f]{64})$/];

export const DOCKER_MANIFEST = 'manifest.json';

export function readDockerSaveManifest(saved: SavedMembers): { images: SavedImage[]; problems: ArchiveProblem[] } {
  const problems: ArchiveProblem[] = [];
  const images: SavedImage[] = [];
  const document = saved.json(DOCKER_MANIFEST, 'docker manifest');
  if (!document.ok) return { images, problems: [document.problem] };
  if (!Array.isArray(document.value)) {
    return { images, problems: [problem('IMAGE_MANIFEST_INVALID', 'manifest.json is not a JSON array', { member: DOCKER_MANIFEST })] };
  }
  document.value.forEach((entry, index) => {
    const item = asObject(entry);
    const where = `manifest.json entry ${index + 1}`;
    const configPath = item?.['Config'];
    const layerPaths = asStringArray(item?.['Layers']);
    const repoTags = item?.['RepoTags'] === null || item?.['RepoTags'] === undefined ? [] : asStringArray(item['RepoTags']);
    if (typeof configPath !== 'string' || layerPaths === undefined || repoTags === undefined) {
      problems.push(problem('IMAGE_MANIFEST_INVALID', `${where} needs Config (a path), Layers (a list of paths) and RepoTags (a list or null)`, { member: DOCKER_MANIFEST }));
      return;
    }
    const image = readImage(saved, configPath, layerPaths, repoTags, where, problems);
    if (image !== undefined) images.push(image);
  });
  if (document.value.length === 0) problems.push(problem('IMAGE_MANIFEST_INVALID', 'manifest.json lists no image', { member: DOCKER_MANIFEST }));
  return { images, problems };
}

/** One image: its config (checked against the digest its name carries) and its layers against the diff IDs. */
export function readImage(
  saved: SavedMembers,
  configPath: string,
  layerPaths: readonly string[],
  repoTags: readonly string[],
  where: string,
  problems: ArchiveProblem[],
): SavedImage | undefined {
  const document = saved.json(configPath, 'image config');
  if (!document.ok) {
    problems.push(document.problem);
    return undefined;
  }
  const config = readImageConfig(document.value);
  if (typeof config === 'string') {
    problems.push(problem('IMAGE_CONFIG_INVALID', `image config ${document.path} ${config}`, { member: document.path }));
    return undefined;
  }
  const id = document.member.digest as string;
  for (const pattern of CONFIG_NAME) {
    const named = pattern.exec(document.path)?.[1];
    if (named !== undefined && `sha256:${named}` !== id) {
      problems.push(digestMismatch('IMAGE_CONFIG_DIGEST', document.path, 'image config digest (its name)', `sha256:${named}`, id));
    }
  }
  if (layerPaths.length !== config.diffIds.length) {
    problems.push(
      problem('IMAGE_LAYER_COUNT', `${where}: ${layerPaths.length} layers listed, but the config ${document.path} has ${config.diffIds.length} diff IDs`, {
        member: document.path,
        expected: String(config.diffIds.length),
        actual: String(layerPaths.length),
      }),
    );
  }
  const layers = layerPaths.map((path, i) => checkLayer(saved, path, config.diffIds[i], i, layerPaths.length, problems));
  return { id, configPath: document.path, config, repoTags, layers };
}

function checkLayer(saved: SavedMembers, path: string, diffId: string | undefined, index: number, total: number, problems: ArchiveProblem[]): SavedLayer {
  const found = saved.file(path, `layer ${index + 1}/${total}`);
  if (!found.ok) {
    problems.push(found.problem);
    return { path, diffId: diffId ?? '', digest: undefined };
  }
  const digest = layerDigest(found.member, problems);
  if (diffId !== undefined && digest !== undefined && digest !== diffId) {
    const via = found.path === path ? path : `${path} (-> ${found.path})`;
    problems.push(digestMismatch('IMAGE_LAYER_DIGEST', via, `layer ${index + 1}/${total}: the config's diff ID`, diffId, digest));
  }
  return { path, diffId: diffId ?? '', digest };
}

/** A layer's diff ID as read: the digest of the tar, after decompression for compressed blobs. */
export function layerDigest(member: DigestedMember, problems: ArchiveProblem[]): string | undefined {
  if (member.compression === undefined) return member.digest;
  if (member.uncompressedDigest !== undefined) return member.uncompressedDigest;
  problems.push(
    problem('IMAGE_LAYER_UNREADABLE', `layer ${member.name} is ${member.compression}-compressed and could not be expanded to check its diff ID: ${member.uncompressedError ?? 'unknown error'}`, {
      member: member.name,
    }),
  );
  return undefined;
}
