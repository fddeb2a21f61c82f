/**
 * Version derivation and tag sets: pure functions, so every rule is a table row — release,
 * pre-release, build metadata, `v` prefix, dirty tree, no version, no git, --no-latest, schemes,
 * and floating tags that must not move behind a newer release.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { computeTagSet, versionTag, type TagSetInput } from '../../src/tags/tag-set.js';
import { parseTagScheme } from '../../src/tags/tag-scheme.js';
import { decideVersion, semverParts, stripVPrefix, type DerivedVersion } from '../../src/tags/version.js';

const COMMIT = 'abc1234def5678900112233445566778899aabbc';
const clean = { commit: COMMIT, dirty: false };

function version(value: string): DerivedVersion {
  const parts = semverParts(value);
  return { value, ...(parts ? { semver: parts } : {}), source: 'flag', origin: '--version' };
}

function tags(input: Partial<TagSetInput> & { version?: DerivedVersion }, scheme = 'semver', noLatest = false): string[] {
  return computeTagSet({ scheme: parseTagScheme(scheme, noLatest), ...input }).tags.map((tag) => tag.tag);
}

describe('decideVersion', () => {
  it('takes --version first, stripping one v', () => {
    const decision = decideVersion({ flag: 'v1.4.2', headTags: ['v9.9.9'], packageJson: { path: 'package.json', version: '0.1.0' } });
    expect(decision.version).toEqual({ value: '1.4.2', semver: { major: 1, minor: 4, patch: 2, prerelease: false }, source: 'flag', origin: '--version' });
    expect(decision.reason).toBe('--version v1.4.2');
  });

  it('takes a semver git tag on HEAD next (v1.4.2 → 1.4.2), ignoring tags that are not versions', () => {
    const decision = decideVersion({ headTags: ['deploy-prod', 'v1.4.2'], packageJson: { path: 'package.json', version: '1.4.2' } });
    expect(decision.version?.value).toBe('1.4.2');
    expect(decision.version?.source).toBe('git-tag');
    expect(decision.reason).toBe('git tag v1.4.2 on HEAD');
    expect(decision.warnings).toEqual([]);
  });

  it('uses the highest of several version tags on HEAD and says so', () => {
    const decision = decideVersion({ headTags: ['v1.4.2', 'v1.5.0-rc.1', '1.4.10'] });
    expect(decision.version?.value).toBe('1.5.0-rc.1');
    expect(decision.warnings.map((w) => w.code)).toEqual(['tags.several-version-tags']);
  });

  it('warns when the manifest disagrees with the git tag, and uses the tag', () => {
    const decision = decideVersion({ headTags: ['v2.0.0'], packageJson: { path: 'package.json', version: '1.9.0' } });
    expect(decision.version?.value).toBe('2.0.0');
    expect(decision.warnings).toEqual([{ code: 'tags.manifest-disagrees', message: 'package.json "version" says 1.9.0 but HEAD is tagged v2.0.0; using the git tag' }]);
  });

  it('falls back to package.json, then pyproject [project], then [tool.poetry]', () => {
    expect(decideVersion({ packageJson: { path: 'package.json', version: '3.1.0' }, pyproject: { path: 'pyproject.toml', projectVersion: '9.0.0' } }).version?.origin).toBe(
      'package.json "version"',
    );
    expect(decideVersion({ pyproject: { path: 'pyproject.toml', projectVersion: '0.4.0', poetryVersion: '9.0.0' } }).version).toMatchObject({
      value: '0.4.0',
      source: 'pyproject.toml',
      origin: 'pyproject.toml [project].version',
    });
    expect(decideVersion({ pyproject: { path: 'pyproject.toml', poetryVersion: '1.2.3' } }).version?.origin).toBe('pyproject.toml [tool.poetry].version');
  });

  it('says where it looked when there is no version', () => {
    expect(decideVersion({}).reason).toBe('no --version, no version tag on HEAD, no package.json or pyproject.toml');
    expect(decideVersion({ packageJson: { path: 'package.json' }, pyproject: { path: 'pyproject.toml', dynamic: true } }).reason).toBe(
      'no --version, no version tag on HEAD, package.json has no "version", pyproject.toml declares the version dynamic',
    );
  });

  it('keeps a version that is not semver as it is (PEP 440, two parts)', () => {
    const decision = decideVersion({ pyproject: { path: 'pyproject.toml', projectVersion: '2.0.0rc1' } });
    expect(decision.version?.value).toBe('2.0.0rc1');
    expect(decision.version?.semver).toBeUndefined();
  });

  it('rejects an empty --version as a usage error', () => {
    expect(() => decideVersion({ flag: ' ' })).toThrow(UsageError);
  });

  it('strips only a v before a digit, and semverParts refuses what semver.parse would bend', () => {
    expect(stripVPrefix('v1.0.0')).toBe('1.0.0');
    expect(stripVPrefix('vnext')).toBe('vnext');
    expect(semverParts('=1.0.0')).toBeUndefined();
    expect(semverParts('vv1.0.0')).toBeUndefined();
    expect(semverParts('01.0.0')).toBeUndefined();
  });
});

describe('computeTagSet', () => {
  it('a release gets version, sha, minor, major, latest — immutable tags first', () => {
    const set = computeTagSet({ version: version('1.4.2'), git: clean, scheme: parseTagScheme(undefined) });
    expect(set.tags).toEqual([
      { tag: '1.4.2', kind: 'version', reason: 'version 1.4.2 (--version)' },
      { tag: 'sha-abc1234', kind: 'sha', reason: 'git commit abc1234def56' },
      { tag: '1.4', kind: 'minor', reason: 'newest 1.4.x release' },
      { tag: '1', kind: 'major', reason: 'newest 1.x release' },
      { tag: 'latest', kind: 'latest', reason: 'newest release' },
    ]);
    expect(set.skipped).toEqual([]);
    expect(set.warnings).toEqual([]);
  });

  it('a pre-release gets only its own tag (and the sha), with reasons for the rest', () => {
    const set = computeTagSet({ version: version('2.0.0-rc.1'), git: clean, scheme: parseTagScheme(undefined) });
    expect(set.tags.map((t) => t.tag)).toEqual(['2.0.0-rc.1', 'sha-abc1234']);
    expect(set.skipped).toEqual([
      { kind: 'minor', reason: '2.0.0-rc.1 is a pre-release' },
      { kind: 'major', reason: '2.0.0-rc.1 is a pre-release' },
      { kind: 'latest', reason: '2.0.0-rc.1 is a pre-release' },
    ]);
  });

  it('a dirty tree gets sha-…-dirty only, whatever the version and scheme, and a warning', () => {
    for (const scheme of ['semver', 'exact', 'version,latest']) {
      const set = computeTagSet({ version: version('1.4.2'), git: { commit: COMMIT, dirty: true }, scheme: parseTagScheme(scheme) });
      expect(set.tags).toEqual([{ tag: 'sha-abc1234-dirty', kind: 'sha', reason: 'commit abc1234 with uncommitted changes' }]);
      expect(set.warnings.map((w) => w.code)).toEqual(['tags.dirty']);
    }
  });

  it('no version: latest and the sha tag', () => {
    expect(tags({ git: clean })).toEqual(['sha-abc1234', 'latest']);
    expect(tags({})).toEqual(['latest']);
  });

  it('--no-latest removes latest from any scheme and says so', () => {
    expect(tags({ version: version('1.4.2'), git: clean }, 'semver', true)).toEqual(['1.4.2', 'sha-abc1234', '1.4', '1']);
    const set = computeTagSet({ git: clean, scheme: parseTagScheme('semver', true) });
    expect(set.tags.map((t) => t.tag)).toEqual(['sha-abc1234']);
    expect(set.skipped).toContainEqual({ kind: 'latest', reason: '--no-latest' });
  });

  it('schemes: exact, sha, and custom lists', () => {
    expect(tags({ version: version('1.4.2'), git: clean }, 'exact')).toEqual(['1.4.2', 'sha-abc1234', 'latest']);
    expect(tags({ version: version('1.4.2'), git: clean }, 'sha')).toEqual(['sha-abc1234']);
    expect(tags({ version: version('1.4.2'), git: clean }, 'major, version')).toEqual(['1.4.2', '1']);
  });

  it('rejects unknown scheme parts naming the flag', () => {
    expect(() => parseTagScheme('semver,nightly')).toThrow('--tag-scheme "semver,nightly": unknown "semver"');
    expect(() => parseTagScheme('version,,sha')).toThrow('empty entry');
  });

  it('0.x: no "0" tag, since 0.x promises no compatibility', () => {
    const set = computeTagSet({ version: version('0.3.1'), git: clean, scheme: parseTagScheme(undefined) });
    expect(set.tags.map((t) => t.tag)).toEqual(['0.3.1', 'sha-abc1234', '0.3', 'latest']);
    expect(set.skipped.map((s) => s.kind)).toEqual(['major']);
  });

  it('floating tags never move behind a newer release named by a git tag', () => {
    const known = ['v1.4.2', 'v1.4.3', 'v1.5.0', 'v2.0.0', 'v3.0.0-rc.1', 'nightly'];
    const hotfix = computeTagSet({ version: version('1.4.3'), git: clean, scheme: parseTagScheme(undefined), knownTags: known });
    expect(hotfix.tags.map((t) => t.tag)).toEqual(['1.4.3', 'sha-abc1234', '1.4']);
    expect(hotfix.skipped).toEqual([
      { kind: 'major', reason: '1.5.0 is a newer 1.x release (git tag)' },
      { kind: 'latest', reason: '2.0.0 is a newer release (git tag)' },
    ]);
    // A newer pre-release does not hold latest back.
    expect(tags({ version: version('2.0.0'), git: clean, knownTags: known })).toEqual(['2.0.0', 'sha-abc1234', '2.0', '2', 'latest']);
  });

  it('build metadata: "+" becomes "_" in the version tag; aliases as for the release', () => {
    const set = computeTagSet({ version: version('1.4.2+build.5'), git: clean, scheme: parseTagScheme(undefined) });
    expect(set.tags.map((t) => t.tag)).toEqual(['1.4.2_build.5', 'sha-abc1234', '1.4', '1', 'latest']);
    expect(set.tags[0]?.reason).toContain('written as "_"');
  });

  it('a version that is not semver gets its own tag only', () => {
    const set = computeTagSet({ version: version('2024.06'), git: clean, scheme: parseTagScheme(undefined) });
    expect(set.tags.map((t) => t.tag)).toEqual(['2024.06', 'sha-abc1234']);
    expect(set.skipped.map((s) => s.kind)).toEqual(['minor', 'major', 'latest']);
  });

  it('versionTag keeps Docker tag grammar', () => {
    expect(versionTag('1.4.2')).toBe('1.4.2');
    expect(versionTag('1.0 beta/2')).toBe('1.0-beta-2');
    expect(versionTag('.hidden')).toBe('hidden');
    expect(versionTag('x'.repeat(200))).toHaveLength(128);
    expect(versionTag('...')).toBeUndefined();
  });

  it('outside git: no sha tag, with the reason', () => {
    const set = computeTagSet({ version: version('1.0.0'), scheme: parseTagScheme(undefined) });
    expect(set.tags.map((t) => t.tag)).toEqual(['1.0.0', '1.0', '1', 'latest']);
    expect(set.skipped).toEqual([{ kind: 'sha', reason: 'not a git work tree' }]);
  });
});
