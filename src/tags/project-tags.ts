/**
 * The tag set of a project folder: flags validated first (nothing read when one is wrong), then
 * git and the manifests read, then the pure decisions (decideVersion, computeTagSet). Used by
 * `pack tags`, `pack plan`, `pack build --repository` and `pack push --repository`.
 */
import { readGitInfo } from '../build/git-info.js';
import { diskProjectFiles } from '../detect/project-files.js';
import { parseRepositoryName, type RepositoryName } from '../registry/repository-name.js';
import { readGitTags, readManifestVersions } from './read-version-inputs.js';
import { computeTagSet, type TagSet } from './tag-set.js';
import { parseTagScheme, type TagScheme } from './tag-scheme.js';
import { decideVersion, type VersionDecision } from './version.js';

/** As commander hands them over (`--no-latest` arrives as `latest: false`). */
export interface TagFlags {
  readonly version?: string;
  readonly tagScheme?: string;
  readonly latest?: boolean;
  readonly repository?: string;
}

export interface TagOptions {
  readonly version?: string;
  readonly scheme: TagScheme;
  readonly repository?: RepositoryName;
}

export function parseTagOptions(flags: TagFlags): TagOptions {
  return {
    ...(flags.version !== undefined ? { version: flags.version } : {}),
    scheme: parseTagScheme(flags.tagScheme, flags.latest === false),
    ...(flags.repository !== undefined ? { repository: parseRepositoryName(flags.repository, `--repository ${JSON.stringify(flags.repository)}`) } : {}),
  };
}

export interface ProjectTags {
  readonly version: VersionDecision;
  readonly scheme: TagScheme;
  readonly set: TagSet;
  readonly git?: { readonly commit: string; readonly dirty: boolean };
  readonly repository?: RepositoryName;
  /** `repository:tag` for each planned tag, when a repository was given. */
  readonly references: readonly string[];
}

export async function readProjectTags(dir: string, options: TagOptions, signal?: AbortSignal): Promise<ProjectTags> {
  const [git, gitTags] = await Promise.all([readGitInfo(dir, signal), readGitTags(dir, signal)]);
  const version = decideVersion({
    ...(options.version !== undefined ? { flag: options.version } : {}),
    headTags: gitTags.head,
    ...readManifestVersions(diskProjectFiles(dir)),
  });
  const set = computeTagSet({
    ...(version.version !== undefined ? { version: version.version } : {}),
    ...(git !== undefined ? { git: { commit: git.commit, dirty: git.dirty } } : {}),
    scheme: options.scheme,
    knownTags: gitTags.all,
  });
  return {
    version,
    scheme: options.scheme,
    set: { ...set, warnings: [...version.warnings, ...set.warnings] },
    ...(git !== undefined ? { git: { commit: git.commit, dirty: git.dirty } } : {}),
    ...(options.repository !== undefined ? { repository: options.repository } : {}),
    references: options.repository === undefined ? [] : set.tags.map((tag) => `${options.repository?.familiar ?? ''}:${tag.tag}`),
  };
}

/** The JSON shape (`pack tags --json`, `pack plan --json` under "tags"). */
export function tagsDocument(tags: ProjectTags): Record<string, unknown> {
  return {
    version: tags.version.version ?? null,
    versionReason: tags.version.reason,
    scheme: { name: tags.scheme.name, kinds: [...tags.scheme.kinds] },
    ...(tags.git !== undefined ? { git: tags.git } : {}),
    ...(tags.repository !== undefined ? { repository: tags.repository.familiar, canonical: tags.repository.canonical } : {}),
    tags: tags.set.tags.map((tag) => ({ ...tag, ...(tags.repository !== undefined ? { reference: `${tags.repository.familiar}:${tag.tag}` } : {}) })),
    skipped: tags.set.skipped,
    warnings: tags.set.warnings,
  };
}

/** Text for people: the version and why, each tag and why, then what was left out and why (warnings go to stderr, separately). */
export function formatProjectTags(tags: ProjectTags): string {
  const out: string[] = [];
  const version = tags.version.version;
  out.push(version !== undefined ? `Version ${version.value}  (${tags.version.reason})` : `No version  (${tags.version.reason})`);
  const name = (tag: string): string => (tags.repository !== undefined ? `${tags.repository.familiar}:${tag}` : tag);
  const width = Math.max(0, ...tags.set.tags.map((tag) => name(tag.tag).length));
  out.push(tags.set.tags.length > 0 ? `Tags (scheme ${tags.scheme.name}):` : `No tags (scheme ${tags.scheme.name})`);
  for (const tag of tags.set.tags) out.push(`  ${name(tag.tag).padEnd(width)}  ${tag.reason}`);
  if (tags.set.skipped.length > 0) {
    out.push('Not tagged:');
    for (const skipped of tags.set.skipped) out.push(`  ${skipped.kind.padEnd(7)}  ${skipped.reason}`);
  }
  return `${out.join('\n')}\n`;
}
