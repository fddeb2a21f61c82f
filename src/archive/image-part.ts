/**
 * The image part of an archive (everything outside `pack/`), read in either `docker save` layout:
 * the images it holds and everything found inconsistent. manifest.json decides what `docker load`
 * produces, so its images are the answer whenever it exists; the OCI layout, when present, is
 * checked as well (and is the answer for an OCI-only archive).
 */
import { problem, type ArchiveProblem } from './archive-problem.js';
import { DOCKER_MANIFEST, readDockerSaveManifest, type SavedImage } from './docker-save-layout.js';
import type { DigestedMember } from './member-digests.js';
import { hasOciLayout, readOciLayout } from './oci-layout.js';
import { SavedMembers } from './saved-members.js';

export interface ImagePart {
  readonly layout: 'docker-save' | 'oci';
  readonly images: readonly SavedImage[];
  readonly problems: readonly ArchiveProblem[];
}

export function readImagePart(members: readonly DigestedMember[], documents: ReadonlyMap<string, Buffer>): ImagePart {
  const saved = new SavedMembers(members, documents);
  const problems: ArchiveProblem[] = [];
  const docker = saved.has(DOCKER_MANIFEST) ? readDockerSaveManifest(saved) : undefined;
  const oci = hasOciLayout(saved) ? readOciLayout(saved, { checkedConfigs: new Set(docker?.images.map((image) => image.id) ?? []) }) : undefined;
  if (docker === undefined && oci === undefined) {
    problems.push(problem('IMAGE_NOT_FOUND', 'no manifest.json or index.json at the root: this is not a docker save archive'));
  }
  problems.push(...(docker?.problems ?? []), ...(oci?.problems ?? []));
  if (docker !== undefined && oci !== undefined) {
    // Docker ≥ 25 indexes every tagged image of manifest.json; an image only the index knows
    // would not be loaded by `docker load`.
    const loaded = new Set(docker.images.map((image) => image.id));
    for (const image of oci.images) {
      if (!loaded.has(image.id)) {
        problems.push(problem('OCI_INDEX_MISMATCH', `index.json lists image ${image.id}, which manifest.json does not`, { member: 'index.json' }));
      }
    }
  }
  return {
    layout: oci !== undefined ? 'oci' : 'docker-save',
    images: docker !== undefined ? docker.images : (oci?.images ?? []),
    problems,
  };
}
