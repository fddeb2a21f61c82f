/**
 * The layout of a pack archive: one tar (optionally gzip-compressed) that `docker load -i` accepts
 * as it is, with pack's own files beside the image.
 *
 *   <docker save members>        the image, byte for byte as the engine's /images/get streamed it,
 *                                up to (not including) its end-of-archive marker. Docker ≤ 24:
 *                                manifest.json, repositories, <config hex>.json, <v1 id>/{VERSION,
 *                                json,layer.tar} (a layer that repeats is a symlink to its first
 *                                copy); Docker ≥ 25 adds the OCI layout: oci-layout, index.json,
 *                                blobs/sha256/<hex>.
 *   pack/                        directory
 *   pack/Dockerfile              the Dockerfile the image was built with
 *   pack/README.txt              how to load, run, check and rebuild it with docker alone
 *   pack/context.tar             the exact build context tar sent to the engine (deterministic)
 *   pack/manifest.json           what pack knows (archive-manifest.ts), with the size and sha256 of
 *                                every member above it
 *   pack/SHA256SUMS              sha256sum(1) lines for every regular file above, manifest.json
 *                                included: `sha256sum -c pack/SHA256SUMS` checks an unpacked copy
 *                                without pack, and it covers manifest.json, which cannot hold its
 *                                own digest
 *   two zero blocks              end of archive
 *
 * Why this order: the members are written as they stream past, so digests are only known after a
 * member's data; the manifest that lists them therefore comes after them, and a reader (pack
 * verify) hashes as it reads and compares at the end, in one pass, in bounded memory. The image
 * comes first because the engine's stream is passed through unchanged: cutting only its end marker
 * keeps every byte Docker wrote. `docker load` extracts the whole tar before it reads manifest.json
 * (moby image/tarexport load.go), so it finds the image wherever its members sit and ignores
 * `pack/` (checked on Docker 20.10; the engine tests load real archives).
 */

export const PACK_DIR = 'pack/';
export const DOCKERFILE_MEMBER = 'pack/Dockerfile';
export const README_MEMBER = 'pack/README.txt';
export const CONTEXT_MEMBER = 'pack/context.tar';
export const MANIFEST_MEMBER = 'pack/manifest.json';
export const SUMS_MEMBER = 'pack/SHA256SUMS';

/** Members pack writes, in the order it writes them (after the image). */
export const PACK_MEMBERS = [PACK_DIR, DOCKERFILE_MEMBER, README_MEMBER, CONTEXT_MEMBER, MANIFEST_MEMBER, SUMS_MEMBER] as const;

/** True for names under `pack/` (pack's part of the archive, not the image's). */
export function isPackMember(path: string): boolean {
  return path === 'pack' || path.startsWith(PACK_DIR);
}
