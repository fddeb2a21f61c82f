/**
 * `pack/manifest.json`: everything pack knows about an archive, versioned so that a pack from the
 * future can still read an archive from today (and an old pack refuses a newer schema instead of
 * misreading it). Written once, after every member it describes (archive-layout.ts).
 *
 * Schema, version 1 (`schemaVersion: 1`, `mediaType: application/vnd.pack.archive.manifest.v1+json`).
 * Every key is always present; unknown values are `null`, never left out. Digests are `sha256:<hex>`.
 *
 *   pack.version                 pack's version that wrote the archive
 *   created                      when the archive was written (RFC 3339, UTC)
 *   source.directory             name of the project folder (no path: it says nothing of the machine)
 *   source.git                   {remote (credentials stripped) | null, commit, dirty} or null
 *   source.sourceDateEpoch       seconds the context mtimes were clamped to, and
 *   source.sourceDateEpochFrom   where that came from: flag | environment | git-commit | null
 *   image.id                     image ID = digest of the image config
 *   image.repoTags               tags saved with it (docker load re-applies them)
 *   image.repoDigests            registry digests the engine knew (pushed or pulled), NAME@sha256:…
 *   image.platform               {os, architecture, variant | null}, from the config
 *   image.created                the config's creation time
 *   image.diffIds                layer diff IDs (sha256 of each uncompressed layer tar), base first
 *   image.history                [{createdBy, emptyLayer}] from the config: which instruction made
 *                                which layer (restore --rebuild reports layers with it)
 *   image.labels                 the image's labels
 *   image.layout                 docker-save (Docker ≤ 24) or oci (Docker ≥ 25 adds an OCI layout)
 *   image.config                 member holding the config
 *   image.engine                 {version, apiVersion} of the engine that saved it
 *   base[]                       FROM images: {reference as written, id (the engine's image ID) |
 *                                null, repoDigests (registry digests the engine knew)}
 *   build.mode                   built (pack built it now) | reused (an identical earlier build was
 *                                found by its build digest) | given (--image: pack did not build it)
 *   build.dockerfile             {member: pack/Dockerfile, nameInContext (the build's `dockerfile`
 *                                parameter), origin: project | outside-context | generated, digest}
 *   build.buildArgs, labels      what pack passed to the build
 *   build.target, platform, network, buildDigest
 *   context                      {member: pack/context.tar, digest, size, entries, contextDigest
 *                                (pack's digest of entries and contents) | null, dockerignoreMode}
 *   plan                         the detected project plan (`pack plan --json` "project") or null
 *   members[]                    every member before manifest.json, in archive order:
 *                                {path, type: file | dir | symlink | hardlink, size | null,
 *                                digest | null (files), linkname | null (links)}
 */
import { PackError } from '../errors.js';

export const ARCHIVE_MANIFEST_VERSION = 1;
export const ARCHIVE_MANIFEST_MEDIA_TYPE = 'application/vnd.pack.archive.manifest.v1+json';

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface ArchiveMember {
  readonly path: string;
  readonly type: MemberType;
  readonly size: number | null;
  readonly digest: string | null;
  readonly linkname: string | null;
}

export interface GitSource {
  readonly remote: string | null;
  readonly commit: string;
  readonly dirty: boolean;
}

export type SourceDateEpochOrigin = 'flag' | 'environment' | 'git-commit';

export interface BaseImage {
  readonly reference: string;
  readonly id: string | null;
  readonly repoDigests: readonly string[];
}

export interface HistoryEntry {
  readonly createdBy: string;
  readonly emptyLayer: boolean;
}

export interface ArchiveManifest {
  readonly schemaVersion: 1;
  readonly mediaType: string;
  readonly pack: { readonly version: string };
  readonly created: string;
  readonly source: {
    readonly directory: string;
    readonly git: GitSource | null;
    readonly sourceDateEpoch: number | null;
    readonly sourceDateEpochFrom: SourceDateEpochOrigin | null;
  };
  readonly image: {
    readonly id: string;
    readonly repoTags: readonly string[];
    readonly repoDigests: readonly string[];
    readonly platform: { readonly os: string; readonly architecture: string; readonly variant: string | null };
    readonly created: string | null;
    readonly diffIds: readonly string[];
    readonly history: readonly HistoryEntry[];
    readonly labels: Readonly<Record<string, string>>;
    readonly layout: 'docker-save' | 'oci';
    readonly config: string;
    readonly engine: { readonly version: string; readonly apiVersion: string };
  };
  readonly base: readonly BaseImage[];
  readonly build: {
    readonly mode: 'built' | 'reused' | 'given';
    readonly dockerfile: {
      readonly member: string;
      readonly nameInContext: string;
      readonly origin: 'project' | 'outside-context' | 'generated';
      readonly digest: string;
    };
    readonly buildArgs: Readonly<Record<string, string>>;
    readonly labels: Readonly<Record<string, string>>;
    readonly target: string | null;
    readonly platform: string | null;
    readonly network: 'default' | 'none' | 'host';
    readonly buildDigest: string | null;
  };
  readonly context: {
    readonly member: string;
    readonly digest: string;
    readonly size: number;
    readonly entries: number;
    readonly contextDigest: string | null;
    readonly dockerignoreMode: 'buildkit' | 'legacy';
  };
  readonly plan: unknown;
  readonly members: readonly ArchiveMember[];
}

/** Serialised with two-space indentation and a final newline; key order as in the interface. */
export function serializeManifest(manifest: ArchiveManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** Thrown for a manifest that cannot be read; `path` names the field (`image.diffIds[2]`). */
export class ManifestError extends PackError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('ARCHIVE_MANIFEST_INVALID', message);
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses and checks a manifest read from an archive (untrusted input): every field of the schema
 * with its type, digests in their form. A newer schema version is refused by name.
 */
export function parseManifest(bytes: Buffer): ArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ManifestError(`pack/manifest.json is not valid JSON: ${(error as Error).message}`, '');
  }
  const root = new Reader(value, '');
  const version = root.get('schemaVersion').number();
  if (version !== ARCHIVE_MANIFEST_VERSION) {
    throw new ManifestError(
      version > ARCHIVE_MANIFEST_VERSION
        ? `pack/manifest.json has schema version ${version}; this pack reads version ${ARCHIVE_MANIFEST_VERSION} — use a newer pack`
        : `pack/manifest.json has unknown schema version ${version}`,
      'schemaVersion',
    );
  }
  const mediaType = root.get('mediaType').string();
  if (mediaType !== ARCHIVE_MANIFEST_MEDIA_TYPE) throw new ManifestError(`pack/manifest.json: mediaType ${JSON.stringify(mediaType)} is not ${ARCHIVE_MANIFEST_MEDIA_TYPE}`, 'mediaType');

  const source = root.get('source');
  const git = source.get('git').nullable((r) => ({ remote: r.get('remote').nullable((x) => x.string()), commit: r.get('commit').string(), dirty: r.get('dirty').boolean() }));
  const image = root.get('image');
  const platform = image.get('platform');
  const build = root.get('build');
  const dockerfile = build.get('dockerfile');
  const context = root.get('context');
  return {
    schemaVersion: 1,
    mediaType,
    pack: { version: root.get('pack').get('version').string() },
    created: root.get('created').string(),
    source: {
      directory: source.get('directory').string(),
      git,
      sourceDateEpoch: source.get('sourceDateEpoch').nullable((r) => r.number()),
      sourceDateEpochFrom: source.get('sourceDateEpochFrom').nullable((r) => r.oneOf(['flag', 'environment', 'git-commit'] as const)),
    },
    image: {
      id: image.get('id').digest(),
      repoTags: image.get('repoTags').array((r) => r.string()),
      repoDigests: image.get('repoDigests').array((r) => r.string()),
      platform: {
        os: platform.get('os').string(),
        architecture: platform.get('architecture').string(),
        variant: platform.get('variant').nullable((r) => r.string()),
      },
      created: image.get('created').nullable((r) => r.string()),
      diffIds: image.get('diffIds').array((r) => r.digest()),
      history: image.get('history').array((r) => ({ createdBy: r.get('createdBy').string(), emptyLayer: r.get('emptyLayer').boolean() })),
      labels: image.get('labels').stringRecord(),
      layout: image.get('layout').oneOf(['docker-save', 'oci'] as const),
      config: image.get('config').string(),
      engine: { version: image.get('engine').get('version').string(), apiVersion: image.get('engine').get('apiVersion').string() },
    },
    base: root.get('base').array((r) => ({
      reference: r.get('reference').string(),
      id: r.get('id').nullable((x) => x.digest()),
      repoDigests: r.get('repoDigests').array((x) => x.string()),
    })),
    build: {
      mode: build.get('mode').oneOf(['built', 'reused', 'given'] as const),
      dockerfile: {
        member: dockerfile.get('member').string(),
        nameInContext: dockerfile.get('nameInContext').string(),
        origin: dockerfile.get('origin').oneOf(['project', 'outside-context', 'generated'] as const),
        digest: dockerfile.get('digest').digest(),
      },
      buildArgs: build.get('buildArgs').stringRecord(),
      labels: build.get('labels').stringRecord(),
      target: build.get('target').nullable((r) => r.string()),
      platform: build.get('platform').nullable((r) => r.string()),
      network: build.get('network').oneOf(['default', 'none', 'host'] as const),
      buildDigest: build.get('buildDigest').nullable((r) => r.string()),
    },
    context: {
      member: context.get('member').string(),
      digest: context.get('digest').digest(),
      size: context.get('size').number(),
      entries: context.get('entries').number(),
      contextDigest: context.get('contextDigest').nullable((r) => r.string()),
      dockerignoreMode: context.get('dockerignoreMode').oneOf(['buildkit', 'legacy'] as const),
    },
    plan: root.get('plan').raw(),
    members: root.get('members').array((r) => {
      const type = r.get('type').oneOf(['file', 'dir', 'symlink', 'hardlink'] as const);
      return {
        path: r.get('path').string(),
        type,
        size: type === 'file' ? r.get('size').number() : r.get('size').nullable((x) => x.number()),
        digest: type === 'file' ? r.get('digest').digest() : r.get('digest').nullable((x) => x.digest()),
        linkname: type === 'symlink' || type === 'hardlink' ? r.get('linkname').string() : r.get('linkname').nullable((x) => x.string()),
      };
    }),
  };
}

/** A cursor over untrusted JSON that names the field at fault. */
class Reader {
  constructor(
    private readonly value: unknown,
    private readonly path: string,
  ) {}

  get(key: string): Reader {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('an object');
    const record = this.value as Record<string, unknown>;
    const path = this.path === '' ? key : `${this.path}.${key}`;
    if (!Object.prototype.hasOwnProperty.call(record, key)) throw new ManifestError(`pack/manifest.json: ${path} is missing`, path);
    return new Reader(record[key], path);
  }

  raw(): unknown {
    return this.value;
  }

  string(): string {
    if (typeof this.value !== 'string') this.fail('a string');
    return this.value as string;
  }

  number(): number {
    if (typeof this.value !== 'number' || !Number.isSafeInteger(this.value) || this.value < 0) this.fail('a whole number');
    return this.value as number;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('true or false');
    return this.value as boolean;
  }

  digest(): string {
    const text = this.string();
    if (!DIGEST.test(text)) this.fail('a digest (sha256: and 64 hex digits)');
    return text;
  }

  oneOf<T extends string>(choices: readonly T[]): T {
    const text = this.string();
    if (!(choices as readonly string[]).includes(text)) this.fail(`one of ${choices.join(', ')}`);
    return text as T;
  }

  nullable<T>(read: (reader: Reader) => T): T | null {
    return this.value === null ? null : read(this);
  }

  array<T>(read: (reader: Reader) => T): T[] {
    if (!Array.isArray(this.value)) this.fail('an array');
    return (this.value as unknown[]).map((item, i) => read(new Reader(item, `${this.path}[${i}]`)));
  }

  stringRecord(): Record<string, string> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('an object');
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(this.value as Record<string, unknown>)) {
      out[key] = new Reader(item, `${this.path}.${key}`).string();
    }
    return out;
  }

  private fail(expected: string): never {
    throw new ManifestError(`pack/manifest.json: ${this.path || 'the document'} must be ${expected}`, this.path);
  }
}
