/**
 * The tags a build gets, each with its reason, and the tags it does not get, with theirs. Pure.
 *
 * A release `1.4.2` → `1.4.2`, `1.4`, `1`, `latest`, plus `sha-<7 hex>` of the commit. A pre-release
 * (`2.0.0-rc.1`) gets only its own tag (and the sha tag): the floating tags promise a release. A
 * work tree with uncommitted changes gets `sha-<7 hex>-dirty` only, whatever the version says:
 * the image is not the commit, let alone the release. Floating tags never move backwards: when the
 * git tags show a newer release (`2.0.0` while building the hotfix `1.4.3`), `latest` stays where it
 * is, and likewise `1` when a newer `1.x` exists.
 *
 * Order is push order: the immutable tags first (version, sha), the floating ones last, so a push
 * that fails half-way never leaves `latest` pointing at an image its version tag does not name.
 */
import semver from 'semver';
import type { TagKind, TagScheme } from './tag-scheme.js';
import { semverParts, stripVPrefix, type DerivedVersion } from './version.js';

export interface TagSetInput {
  readonly version?: DerivedVersion;
  /** The commit HEAD names and whether tracked files differ from it; undefined outside git. */
  readonly git?: { readonly commit: string; readonly dirty: boolean };
  readonly scheme: TagScheme;
  /** Every git tag of the repository (any naming; non-versions are ignored), for "is there a newer release". */
  readonly knownTags?: readonly string[];
}

export interface PlannedTag {
  readonly tag: string;
  readonly kind: TagKind;
  readonly reason: string;
}

export interface SkippedTag {
  readonly kind: TagKind;
  readonly reason: string;
}

export interface TagSet {
  readonly tags: readonly PlannedTag[];
  readonly skipped: readonly SkippedTag[];
  readonly warnings: readonly { readonly code: string; readonly message: string }[];
}

/** Docker's tag grammar (distribution/reference): `[\w][\w.-]{0,127}`. */
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * A version as a tag: semver build metadata (`+build.5`) uses `+`, which tags cannot hold; it
 * becomes `_`, as Helm does for OCI chart tags, so that it cannot be mistaken for a pre-release.
 * Other characters outside the grammar become `-`. Undefined when nothing valid remains.
 */
export function versionTag(version: string): string | undefined {
  const tag = version
    .replace(/\+/g, '_')
    .replace(/[^\w.-]/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return TAG.test(tag) ? tag : undefined;
}

export function computeTagSet(input: TagSetInput): TagSet {
  const { scheme, version, git } = input;
  const want = (kind: TagKind): boolean => scheme.kinds.has(kind);
  const tags: PlannedTag[] = [];
  const skipped: SkippedTag[] = [];
  const warnings: { code: string; message: string }[] = [];
  const skip = (kind: TagKind, reason: string): void => {
    if (want(kind)) skipped.push({ kind, reason });
  };
  const add = (kind: TagKind, tag: string, reason: string): void => {
    if (!want(kind)) return;
    if (tags.some((planned) => planned.tag === tag)) return;
    tags.push({ tag, kind, reason });
  };
  const short = git?.commit.slice(0, 7);

  if (git?.dirty === true) {
    warnings.push({
      code: 'tags.dirty',
      message: `uncommitted changes to tracked files: no release tags, only sha-${short}-dirty (commit or stash them to tag ${version?.value ?? 'a release'})`,
    });
    // Applied whatever the scheme says: it is the one tag that tells the truth about this image.
    tags.push({ tag: `sha-${short}-dirty`, kind: 'sha', reason: `commit ${short} with uncommitted changes` });
    for (const kind of ['version', 'minor', 'major', 'latest'] as const) skip(kind, 'uncommitted changes: a dirty tree never gets a release tag');
    if (scheme.noLatest) skipped.push({ kind: 'latest', reason: '--no-latest' });
    return { tags, skipped, warnings };
  }

  const releases = newerReleaseFinder(input.knownTags ?? []);
  const parts = version?.semver;
  if (version === undefined) {
    skip('version', 'no version found');
    skip('minor', 'no version found');
    skip('major', 'no version found');
  } else {
    const own = versionTag(version.value);
    if (own === undefined) {
      skip('version', `${JSON.stringify(version.value)} (${version.origin}) cannot be written as a tag`);
    } else {
      add('version', own, own === version.value ? `version ${version.value} (${version.origin})` : `version ${version.value} (${version.origin}); "+" is not allowed in tags, written as "_"`);
    }
    if (parts === undefined) {
      skip('minor', `${version.value} is not a semantic version (MAJOR.MINOR.PATCH)`);
      skip('major', `${version.value} is not a semantic version (MAJOR.MINOR.PATCH)`);
    } else if (parts.prerelease) {
      skip('minor', `${version.value} is a pre-release`);
      skip('major', `${version.value} is a pre-release`);
    } else {
      const newerMinor = releases.newerWithin(version.value, `${parts.major}.${parts.minor}`);
      if (newerMinor !== undefined) skip('minor', `${newerMinor} is a newer ${parts.major}.${parts.minor}.x release (git tag)`);
      else add('minor', `${parts.major}.${parts.minor}`, `newest ${parts.major}.${parts.minor}.x release`);
      if (parts.major === 0) {
        skip('major', '0.x promises no compatibility between minor versions, so there is no "0" tag');
      } else {
        const newerMajor = releases.newerWithin(version.value, `${parts.major}`);
        if (newerMajor !== undefined) skip('major', `${newerMajor} is a newer ${parts.major}.x release (git tag)`);
        else add('major', `${parts.major}`, `newest ${parts.major}.x release`);
      }
    }
  }

  if (git !== undefined) add('sha', `sha-${short}`, `git commit ${git.commit.slice(0, 12)}`);
  else skip('sha', 'not a git work tree');

  if (want('latest')) {
    if (version === undefined) {
      add('latest', 'latest', 'no version: latest names the newest build');
    } else if (parts === undefined) {
      skip('latest', `${version.value} is not a semantic version, so pack cannot tell it is the newest release`);
    } else if (parts.prerelease) {
      skip('latest', `${version.value} is a pre-release`);
    } else {
      const newer = releases.newerWithin(version.value, '');
      if (newer !== undefined) skip('latest', `${newer} is a newer release (git tag)`);
      else add('latest', 'latest', `newest release`);
    }
  }

  if (scheme.noLatest) skipped.push({ kind: 'latest', reason: '--no-latest' });

  // Push order: immutable first, floating last.
  const order: readonly TagKind[] = ['version', 'sha', 'minor', 'major', 'latest'];
  tags.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return { tags, skipped, warnings };
}

/** Looks through the repository's release tags for one newer than a version within a line (`1.4`, `1`, or all). */
function newerReleaseFinder(knownTags: readonly string[]): { newerWithin(version: string, line: string): string | undefined } {
  const releases = knownTags
    .map((tag) => ({ tag, parts: semverParts(tag) }))
    .filter((entry) => entry.parts !== undefined && !entry.parts.prerelease)
    .map((entry) => stripVPrefix(entry.tag));
  return {
    newerWithin(version, line) {
      const candidates = releases.filter((release) => line === '' || release === line || release.startsWith(`${line}.`));
      const newest = candidates.sort(semver.rcompare)[0];
      return newest !== undefined && semver.gt(newest, version) ? newest : undefined;
    },
  };
}
