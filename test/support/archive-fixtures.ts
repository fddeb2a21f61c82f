/**
 * Hand-assembled tars for the archive tests: `docker save` output in both layouts — Docker ≤ 24
 * (`<config hex>.json`, `<v1 id>/layer.tar`, a repeated layer as a symlink) and Docker ≥ 25 (adds
 * the OCI layout: `oci-layout`, `index.json`, `blobs/sha256/…`, which the 20.10 engine on the test
 * machine cannot produce) — built the way moby image/tarexport lays them out, and pack archives
 * written from them with the real writer.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { encodeTarHeader, blockPadding, TypeFlag } from '../../src/context/tar-header.js';
import { ARCHIVE_MANIFEST_MEDIA_TYPE, type ArchiveManifest } from '../../src/archive/archive-manifest.js';
import { archiveStream, type WrittenArchive } from '../../src/archive/write-archive.js';

export interface TarSpec {
  readonly name: string;
  readonly type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';
  readonly data?: Buffer | string;
  readonly linkname?: string;
  readonly mode?: number;
  readonly mtime?: number;
}

/** A tar with Go-style headers; `end: false` leaves out the end-of-archive marker. */
export function tarOf(entries: readonly TarSpec[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    const type = entry.type ?? 'file';
    const typeflag = { file: TypeFlag.file, dir: TypeFlag.dir, symlink: TypeFlag.symlink, hardlink: TypeFlag.hardlink, fifo: TypeFlag.fifo }[type];
    parts.push(
      encodeTarHeader({
        name: entry.name,
        typeflag,
        mode: entry.mode ?? (type === 'dir' ? 0o755 : 0o644),
        size: type === 'file' ? data.length : 0,
        mtime: entry.mtime ?? 1_700_000_000,
        linkname: entry.linkname ?? '',
      }),
    );
    if (type === 'file') parts.push(data, Buffer.alloc(blockPadding(data.length)));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SaveSpec {
  /** Layer tars, base first. */
  readonly layers: readonly Buffer[];
  readonly tags?: readonly string[];
  readonly layout?: 'docker' | 'oci';
  /** OCI only: store the layers as gzip blobs (as a containerd-store save may). */
  readonly gzipLayers?: boolean;
  /** Replaces the config's diff IDs (to make an inconsistent image). */
  readonly diffIds?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

export interface SavedFixture {
  readonly tar: Buffer;
  readonly imageId: string;
  readonly diffIds: readonly string[];
  readonly configPath: string;
  readonly config: Buffer;
}

/** A `docker save` stream for one image, in the chosen layout, members sorted as archive.Tar walks them. */
export function dockerSave(spec: SaveSpec): SavedFixture {
  const diffIds = spec.diffIds ?? spec.layers.map((layer) => `sha256:${sha256(layer)}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: spec.labels ?? { 'dev.pack.test': '1' } },
      history: spec.layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `/bin/sh -c #(nop) step ${i + 1}` })),
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const configHex = sha256(config);
  const tags = spec.tags ?? ['fixture:1'];
  const entries: TarSpec[] = [];
  let configPath: string;
  let layerPaths: string[];
  if ((spec.layout ?? 'docker') === 'docker') {
    configPath = `${configHex}.json`;
    layerPaths = [];
    const firstPath = new Map<string, string>();
    spec.layers.forEach((layer, i) => {
      // moby derives v1 IDs from the chain; any distinct hex does for a reader.
      const v1 = sha256(`v1-${i}-${sha256(layer)}`);
      entries.push({ name: `${v1}/`, type: 'dir' }, { name: `${v1}/VERSION`, data: '1.0' }, { name: `${v1}/json`, data: JSON.stringify({ id: v1 }) });
      const seen = firstPath.get(sha256(layer));
      if (seen !== undefined) entries.push({ name: `${v1}/layer.tar`, type: 'symlink', linkname: `../${seen}` });
      else {
        entries.push({ name: `${v1}/layer.tar`, data: layer });
        firstPath.set(sha256(layer), `${v1}/layer.tar`);
      }
      layerPaths.push(`${v1}/layer.tar`);
    });
    entries.push({ name: configPath, data: config });
  } else {
    configPath = `blobs/sha256/${configHex}`;
    const blobs = new Map<string, Buffer>();
    const layerDescriptors = spec.layers.map((layer) => {
      const blob = spec.gzipLayers === true ? gzipSync(layer) : layer;
      const hex = sha256(blob);
      blobs.set(hex, blob);
      return {
        mediaType: spec.gzipLayers === true ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
        digest: `sha256:${hex}`,
        size: blob.length,
      };
    });
    layerPaths = layerDescriptors.map((d) => `blobs/sha256/${d.digest.slice(7)}`);
    blobs.set(configHex, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
        layers: layerDescriptors,
      }),
    );
    blobs.set(sha256(manifest), manifest);
    entries.push({ name: 'blobs/', type: 'dir' }, { name: 'blobs/sha256/', type: 'dir' });
    for (const hex of [...blobs.keys()].sort()) entries.push({ name: `blobs/sha256/${hex}`, data: blobs.get(hex) as Buffer });
    entries.push({
      name: 'index.json',
      data: JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: tags.map((tag) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha256(manifest)}`,
          size: manifest.length,
          annotations: { 'io.containerd.image.name': `docker.io/library/${tag}`, 'org.opencontainers.image.ref.name': tag.split(':')[1] },
        })),
      }),
    });
  }
  entries.push({ name: 'manifest.json', data: `${JSON.stringify([{ Config: configPath, RepoTags: tags, Layers: layerPaths }])}\n` });
  if ((spec.layout ?? 'docker') === 'oci') entries.push({ name: 'oci-layout', data: '{"imageLayoutVersion": "1.0.0"}' });
  const repositories: Record<string, Record<string, string>> = {};
  for (const tag of tags) {
    const [name, version] = tag.split(':') as [string, string];
    (repositories[name] ??= {})[version] = configHex;
  }
  entries.push({ name: 'repositories', data: `${JSON.stringify(repositories)}\n` });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tar: tarOf(entries), imageId: `sha256:${configHex}`, diffIds, configPath, config };
}

/** A tiny layer tar holding one file. */
export function layerWith(name: string, content: string): Buffer {
  return tarOf([{ name, data: content }]);
}

/** Splits a buffer into chunks of `size` (to exercise every boundary). */
export function chunked(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, i + size));
  return out;
}

export interface FixtureArchiveOptions {
  readonly save?: SavedFixture;
  readonly context?: Buffer;
  readonly dockerfile?: string;
  readonly nameInContext?: string;
  readonly chunkSize?: number;
}

/** A pack archive made by the real writer from a hand-made save stream; returns its bytes and manifest. */
export async function fixtureArchive(options: FixtureArchiveOptions = {}): Promise<{ bytes: Buffer; manifest: ArchiveManifest; save: SavedFixture; context: Buffer }> {
  const save = options.save ?? dockerSave({ layers: [layerWith('bin/hello', 'hello\n'), layerWith('app/main.txt', 'main\n')] });
  const dockerfile = Buffer.from(options.dockerfile ?? 'FROM busybox:local\nCOPY . /app\n');
  const nameInContext = options.nameInContext ?? 'Dockerfile';
  const context = options.context ?? tarOf([{ name: nameInContext, data: dockerfile }, { name: 'app/', type: 'dir' }, { name: 'app/main.txt', data: 'main\n' }]);
  const { stream, summary } = archiveStream({
    image: Readable.from(chunked(save.tar, options.chunkSize ?? 3000)),
    imageId: save.imageId,
    dockerfile,
    context: { stream: Readable.from(chunked(context, 1000)), size: context.length },
    mtime: 1_700_000_000,
    readme: ({ image }) => Buffer.from(`image ${image.id}\n`),
    manifest: (written) => fixtureManifest(written, nameInContext),
  });
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return { bytes: Buffer.concat(parts), manifest: summary.manifest as ArchiveManifest, save, context };
}

function fixtureManifest(written: WrittenArchive, nameInContext: string): ArchiveManifest {
  const { image } = written;
  return {
    schemaVersion: 1,
    mediaType: ARCHIVE_MANIFEST_MEDIA_TYPE,
    pack: { version: '0.0.0-test' },
    created: '2026-01-01T00:00:00Z',
    source: { directory: 'fixture', git: null, sourceDateEpoch: null, sourceDateEpochFrom: null },
    image: {
      id: image.id,
      repoTags: image.repoTags,
      repoDigests: [],
      platform: { os: image.config.os, architecture: image.config.architecture, variant: image.config.variant },
      created: image.config.created,
      diffIds: image.config.diffIds,
      history: image.config.history,
      labels: image.config.labels,
      layout: written.layout,
      config: image.configPath,
      engine: { version: 'test', apiVersion: '1.41' },
    },
    base: [{ reference: 'busybox:local', id: null, repoDigests: [] }],
    build: {
      mode: 'built',
      dockerfile: { member: 'pack/Dockerfile', nameInContext, origin: 'project', digest: written.dockerfileDigest },
      buildArgs: {},
      labels: {},
      target: null,
      platform: null,
      network: 'default',
      buildDigest: null,
    },
    context: { member: 'pack/context.tar', digest: written.context.digest, size: written.context.size, entries: 3, contextDigest: null, dockerignoreMode: 'buildkit' },
    plan: null,
    members: written.members,
  };
}

/** Offset of the data of member `name` in an uncompressed tar (walking its headers). */
export function dataOffset(tar: Buffer, name: string): number {
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(header.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const typeflag = String.fromCharCode(header[156] ?? 0);
    const stored = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = header.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const memberName = longName ?? (prefix !== '' ? `${prefix}/${stored}` : stored);
    if (typeflag === 'x') {
      const records = tar.toString('utf8', offset + 512, offset + 512 + size);
      longName = /\d+ path=([^\n]*)\n/.exec(records)?.[1];
    } else {
      longName = undefined;
      if (memberName === name) return offset + 512;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no member ${name}`);
}

/** A copy with the byte at `offset` flipped (every bit inverted). */
export function flipped(buffer: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[offset] = (copy[offset] as number) ^ 0xff;
  return copy;
}
