/**
 * The OCI image layout Docker ≥ 25 adds to `docker save` (moby image/tarexport save.go; OCI
 * image-spec image-layout.md): `oci-layout`, `index.json` and content-addressed `blobs/sha256/<hex>`
 * holding the image configs, the OCI manifests, the layers (uncompressed tars from the classic
 * store, possibly gzip/zstd blobs from the containerd store) and the v1 layer configs.
 *
 * Checked: every blob's sha256 is its name; index.json → manifests (nested indexes followed) →
 * config and layer descriptors, each present with its declared size and digest; a manifest's
 * layers expand to the config's diff IDs. The image ID is the config's digest.
 */
import { digestMismatch, problem, type ArchiveProblem } from './archive-problem.js';
import { readImage, type SavedImage } from './docker-save-layout.js';
import { asObject, type SavedMembers } from './saved-members.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX = 'index.json';

const BLOB = /^blobs\/([^/]+)\/(.+)$/;
const HEX64 = /^[0-9a-f]{64}$/;
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MANIFEST_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);
const MAX_INDEX_DEPTH = 4;

/** Whether the archive carries an OCI layout at all. */
export function hasOciLayout(saved: SavedMembers): boolean {
  return saved.has(OCI_LAYOUT_FILE) || saved.has(OCI_INDEX);
}

export interface OciReadOptions {
  /** Configs already checked through manifest.json; their OCI layer lists may be partial (Docker 25.0.0 listed only foreign layers). */
  readonly checkedConfigs?: ReadonlySet<string>;
}

export function readOciLayout(saved: SavedMembers, options: OciReadOptions = {}): { images: SavedImage[]; problems: ArchiveProblem[] } {
  const problems: ArchiveProblem[] = [];
  const images: SavedImage[] = [];

  const layout = saved.json(OCI_LAYOUT_FILE, 'OCI layout file');
  if (!layout.ok) problems.push(layout.problem);
  else if (typeof asObject(layout.value)?.['imageLayoutVersion'] !== 'string') {
    problems.push(problem('OCI_LAYOUT_INVALID', 'oci-layout has no imageLayoutVersion', { member: OCI_LAYOUT_FILE }));
  }

  // Content addressing: a blob's name is its digest.
  for (const path of saved.paths((p) => p.startsWith('blobs/'))) {
    const found = saved.file(path, 'blob');
    if (!found.ok) {
      // Directories (blobs/, blobs/sha256/) are fine; links are followed by file().
      if (found.problem.code !== 'IMAGE_MEMBER_TYPE') problems.push(found.problem);
      continue;
    }
    const match = BLOB.exec(path);
    if (match === null || match[1] !== 'sha256' || !HEX64.test(match[2] ?? '')) {
      problems.push(problem('OCI_BLOB_NAME', `blob ${path} is not named blobs/sha256/<64 hex digits>; pack checks sha256 blobs only`, { member: path }));
      continue;
    }
    const named = `sha256:${match[2] ?? ''}`;
    if (found.member.digest !== named) problems.push(digestMismatch('OCI_BLOB_DIGEST', path, 'blob digest (its name)', named, found.member.digest ?? '(none)'));
  }

  const index = saved.json(OCI_INDEX, 'OCI index');
  if (!index.ok) {
    problems.push(index.problem);
    return { images, problems };
  }
  walkIndex(saved, index.value, OCI_INDEX, 0, images, problems, options);
  return { images, problems };
}

function walkIndex(
  saved: SavedMembers,
  value: unknown,
  where: string,
  depth: number,
  images: SavedImage[],
  problems: ArchiveProblem[],
  options: OciReadOptions,
): void {
  const manifests = asObject(value)?.['manifests'];
  if (!Array.isArray(manifests)) {
    problems.push(problem('OCI_INDEX_INVALID', `${where} has no manifests list`, { member: where }));
    return;
  }
  manifests.forEach((entry, i) => {
    const descriptor = checkDescriptor(saved, entry, `${where} manifests[${i}]`, problems);
    if (descriptor === undefined) return;
    const document = saved.json(descriptor.path, 'OCI manifest');
    if (!document.ok) {
      problems.push(document.problem);
      return;
    }
    if (INDEX_TYPES.has(descriptor.mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) problems.push(problem('OCI_INDEX_DEPTH', `${descriptor.path}: indexes nested more than ${MAX_INDEX_DEPTH} deep`, { member: descriptor.path }));
      else walkIndex(saved, document.value, descriptor.path, depth + 1, images, problems, options);
      return;
    }
    if (!MANIFEST_TYPES.has(descriptor.mediaType)) {
      problems.push(problem('OCI_MEDIA_TYPE', `${where} manifests[${i}] has media type ${JSON.stringify(descriptor.mediaType)}, which is neither an index nor an image manifest`, { member: where }));
      return;
    }
    const manifest = asObject(document.value);
    const config = checkDescriptor(saved, manifest?.['config'], `${descriptor.path} config`, problems);
    const layerEntries = Array.isArray(manifest?.['layers']) ? (manifest['layers'] as unknown[]) : undefined;
    if (config === undefined || layerEntries === undefined) {
      if (layerEntries === undefined) problems.push(problem('OCI_MANIFEST_INVALID', `${descriptor.path} has no layers list`, { member: descriptor.path }));
      return;
    }
    const layers = layerEntries.map((layer, j) => checkDescriptor(saved, layer, `${descriptor.path} layers[${j}]`, problems));
    if (layers.some((layer) => layer === undefined)) return;
    const annotations = asObject(asObject(entry)?.['annotations']) ?? {};
    const name = annotations['io.containerd.image.name'];
    const repoTags = typeof name === 'string' ? [name] : [];
    const configId = saved.file(config.path, 'image config');
    const checkedElsewhere = configId.ok && configId.member.digest !== undefined && options.checkedConfigs?.has(configId.member.digest) === true;
    const collected: ArchiveProblem[] = [];
    const image = readImage(
      saved,
      config.path,
      layers.map((layer) => layer?.path ?? ''),
      repoTags,
      descriptor.path,
      collected,
    );
    for (const found of collected) {
      // An image that manifest.json already proved whole may have a partial OCI layer list.
      if (checkedElsewhere && found.code === 'IMAGE_LAYER_COUNT') continue;
      problems.push(found);
    }
    if (image !== undefined) images.push(image);
  });
}

interface Descriptor {
  readonly mediaType: string;
  readonly path: string;
}

/** A descriptor ({mediaType, digest, size}) whose blob is present with that size and digest. */
function checkDescriptor(saved: SavedMembers, value: unknown, where: string, problems: ArchiveProblem[]): Descriptor | undefined {
  const descriptor = asObject(value);
  const digest = descriptor?.['digest'];
  const size = descriptor?.['size'];
  const mediaType = descriptor?.['mediaType'];
  if (typeof digest !== 'string' || typeof size !== 'number' || typeof mediaType !== 'string') {
    problems.push(problem('OCI_DESCRIPTOR_INVALID', `${where} is not a descriptor with mediaType, digest and size`));
    return undefined;
  }
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (match === null) {
    problems.push(problem('OCI_DESCRIPTOR_INVALID', `${where}: digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`));
    return undefined;
  }
  const path = `blobs/sha256/${match[1] ?? ''}`;
  const found = saved.file(path, `blob of ${where}`);
  if (!found.ok) {
    problems.push(found.problem);
    return undefined;
  }
  if (found.member.size !== size) {
    problems.push(
      problem('OCI_DESCRIPTOR_SIZE', `${path}: ${where} declares ${size} bytes, the blob has ${found.member.size}`, {
        member: path,
        expected: String(size),
        actual: String(found.member.size),
      }),
    );
  }
  if (found.member.digest !== digest) problems.push(digestMismatch('OCI_DESCRIPTOR_DIGEST', path, `${where} digest`, digest, found.member.digest ?? '(none)'));
  return { mediaType, path };
}
