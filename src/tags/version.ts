/**
 * Which version a build is, decided from values the CLI read (flag, git tags on HEAD, package.json,
 * pyproject.toml), with the reason. Pure: no git, no files, no environment in here.
 *
 * Precedence: `--version` > a semantic-version git tag on HEAD (`v1.4.2` → `1.4.2`; the highest when
 * several) > package.json `version` > pyproject.toml `[project].version` > `[tool.poetry].version`.
 * A git tag beats the manifests because it is what a release pipeline cuts; when they disagree the
 * manifest is named in a warning rather than silently ignored.
 */
import semver from 'semver';
import { UsageError } from '../errors.js';

export type VersionSource = 'flag' | 'git-tag' | 'package.json' | 'pyproject.toml';

/** What the CLI found; every field is optional so that a missing source is just absent. */
export interface VersionInputs {
  /** `--version` as given. */
  readonly flag?: string;
  /** Tags pointing at HEAD (`git tag --points-at HEAD`), any naming. */
  readonly headTags?: readonly string[];
  /** `version` of the project's package.json, and the file as the user knows it. */
  readonly packageJson?: { readonly path: string; readonly version?: string };
  /** pyproject.toml: `[project].version`, `[tool.poetry].version`, and whether the version is `dynamic`. */
  readonly pyproject?: { readonly path: string; readonly projectVersion?: string; readonly poetryVersion?: string; readonly dynamic?: boolean };
}

export interface SemverParts {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** True for `2.0.0-rc.1`: a pre-release gets only its own tag. */
  readonly prerelease: boolean;
}

export interface DerivedVersion {
  /** The version with a leading `v` removed, e.g. `1.4.2`, `2.0.0-rc.1`, `1.4.2+build.5`. */
  readonly value: string;
  /** Present when `value` is a semantic version (semver.org 2.0.0). */
  readonly semver?: SemverParts;
  readonly source: VersionSource;
  /** Where exactly: `--version`, `git tag v1.4.2`, `package.json "version"`, `pyproject.toml [project].version`. */
  readonly origin: string;
}

export interface VersionDecision {
  readonly version?: DerivedVersion;
  /** Why this version, or why none (every source that was looked at). */
  readonly reason: string;
  readonly warnings: readonly { readonly code: string; readonly message: string }[];
}

/** `v1.4.2` and `V1.4.2` → `1.4.2`; anything else unchanged. */
export function stripVPrefix(text: string): string {
  return /^[vV]\d/.test(text) ? text.slice(1) : text;
}

/** The semantic-version parts of `text` (after a `v` prefix is removed), or undefined. */
export function semverParts(text: string): SemverParts | undefined {
  const parsed = semver.parse(stripVPrefix(text), { loose: false });
  // semver.parse itself accepts `v1.2.3` and `=1.2.3`; only our one `v` is allowed.
  if (parsed === null || stripVPrefix(text) !== parsed.raw) return undefined;
  return { major: parsed.major, minor: parsed.minor, patch: parsed.patch, prerelease: parsed.prerelease.length > 0 };
}

export function decideVersion(inputs: VersionInputs): VersionDecision {
  const warnings: { code: string; message: string }[] = [];
  const manifest = manifestVersion(inputs);

  if (inputs.flag !== undefined) {
    const value = stripVPrefix(inputs.flag.trim());
    if (value === '') throw new UsageError('BAD_VERSION', '--version: empty version', { hint: 'e.g. --version 1.4.2 or --version v2.0.0-rc.1' });
    const parts = semverParts(value);
    return {
      version: { value, ...(parts ? { semver: parts } : {}), source: 'flag', origin: '--version' },
      reason: `--version ${inputs.flag}`,
      warnings,
    };
  }

  const tagged = (inputs.headTags ?? [])
    .filter((tag) => semverParts(tag) !== undefined)
    .sort((a, b) => semver.rcompare(stripVPrefix(a), stripVPrefix(b)));
  const best = tagged[0];
  if (best !== undefined) {
    const value = stripVPrefix(best);
    if (tagged.length > 1) {
      warnings.push({ code: 'tags.several-version-tags', message: `HEAD carries several version tags (${tagged.join(', ')}); using the highest, ${best}` });
    }
    if (manifest !== undefined && manifest.value !== value && semverParts(manifest.value) !== undefined && semver.neq(manifest.value, value)) {
      warnings.push({
        code: 'tags.manifest-disagrees',
        message: `${manifest.origin} says ${manifest.value} but HEAD is tagged ${best}; using the git tag`,
      });
    }
    return {
      version: { value, semver: semverParts(value) as SemverParts, source: 'git-tag', origin: `git tag ${best}` },
      reason: `git tag ${best} on HEAD`,
      warnings,
    };
  }

  if (manifest !== undefined) {
    const parts = semverParts(manifest.value);
    return {
      version: { value: manifest.value, ...(parts ? { semver: parts } : {}), source: manifest.source, origin: manifest.origin },
      reason: `${manifest.origin} (no version tag on HEAD)`,
      warnings,
    };
  }

  const looked = ['no --version', 'no version tag on HEAD'];
  if (inputs.packageJson !== undefined) looked.push(`${inputs.packageJson.path} has no "version"`);
  if (inputs.pyproject !== undefined) {
    looked.push(inputs.pyproject.dynamic ? `${inputs.pyproject.path} declares the version dynamic` : `${inputs.pyproject.path} has no version`);
  }
  if (inputs.packageJson === undefined && inputs.pyproject === undefined) looked.push('no package.json or pyproject.toml');
  return { reason: looked.join(', '), warnings };
}

function manifestVersion(inputs: VersionInputs): { value: string; source: VersionSource; origin: string } | undefined {
  const pkg = inputs.packageJson;
  if (pkg?.version !== undefined && pkg.version.trim() !== '') {
    return { value: stripVPrefix(pkg.version.trim()), source: 'package.json', origin: `${pkg.path} "version"` };
  }
  const py = inputs.pyproject;
  if (py?.projectVersion !== undefined && py.projectVersion.trim() !== '') {
    return { value: stripVPrefix(py.projectVersion.trim()), source: 'pyproject.toml', origin: `${py.path} [project].version` };
  }
  if (py?.poetryVersion !== undefined && py.poetryVersion.trim() !== '') {
    return { value: stripVPrefix(py.poetryVersion.trim()), source: 'pyproject.toml', origin: `${py.path} [tool.poetry].version` };
  }
  return undefined;
}
