/**
 * The 231 .dockerignore cases collected from moby/patternmatcher's and docker/cli's own tests, the
 * Docker documentation and observations of the real docker CLI (see fixtures/dockerignore/README.md).
 * Every case runs against the matcher API it was written for and, where it says what the legacy and
 * BuildKit walkers send, against pack's walkers on a real temp tree.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIgnoreFile } from '../../src/context/dockerignore/ignore-file.js';
import { PatternMatcher } from '../../src/context/dockerignore/matcher.js';
import { compileMatcher, prepareContext } from '../../src/context/prepare.js';
import type { WalkMode } from '../../src/context/walk.js';

interface Vector {
  patterns: string[];
  path: string;
  raw: boolean;
  excluded: boolean;
  api: string;
  classicWalkerExcluded?: boolean;
  buildkitWalkerExcluded_simulated?: boolean;
  expectError?: boolean;
  note?: string;
  source: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/dockerignore/vectors.json', import.meta.url), 'utf8'),
) as Vector[];

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function label(v: Vector, i: number): string {
  return `#${i} ${JSON.stringify(v.patterns)} ${JSON.stringify(v.path)} (${v.api.split(' ')[0]}, ${v.raw ? 'raw' : 'file'})`;
}

function matcherFor(v: Vector): PatternMatcher {
  if (v.raw) {
    const m = new PatternMatcher(v.patterns);
    m.checkAll();
    return m;
  }
  return compileMatcher(parseIgnoreFile(v.patterns.join('\n'), '.dockerignore'));
}

/**
 * Whether `path` ends up in the image's build context: absent from the tar, or present but deleted by
 * the daemon (it deletes the Dockerfile and .dockerignore when .dockerignore lists them).
 */
function excludedFromImage(v: Vector, mode: WalkMode): boolean {
  const root = mkdtempSync(join(tmpdir(), 'pack-vector-'));
  roots.push(root);
  const file = join(root, v.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  if (!v.raw || v.path !== '.dockerignore') writeFileSync(join(root, '.dockerignore'), v.patterns.join('\n'));
  if (v.path !== 'Dockerfile') writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\n');
  const context = prepareContext({ contextDir: root, mode });
  const sent = new Set([...context.entries()].map((e) => e.path));
  if (!sent.has(v.path)) return true;
  if (v.path === 'Dockerfile' || v.path === '.dockerignore') {
    const daemon = new PatternMatcher(parseIgnoreFile(v.patterns.join('\n'), '.dockerignore'));
    return daemon.matchesOrParentMatches(v.path);
  }
  return false;
}

describe('dockerignore vectors', () => {
  it('has all 231 cases', () => {
    expect(vectors).toHaveLength(231);
  });

  vectors.forEach((v, i) => {
    if (v.expectError) {
      it(`${label(v, i)} is refused`, () => {
        expect(() => matcherFor(v)).toThrow(/syntax error in pattern|illegal exclusion pattern/);
      });
      return;
    }
    if (v.api === 'MatchesOrParentMatches') {
      it(`${label(v, i)} → ${v.excluded ? 'excluded' : 'kept'}`, () => {
        expect(matcherFor(v).matchesOrParentMatches(v.path)).toBe(v.excluded);
      });
    } else if (v.api.startsWith('Matches(deprecated')) {
      it(`${label(v, i)} → ${v.excluded ? 'excluded' : 'kept'}`, () => {
        expect(matcherFor(v).matchesDeprecated(v.path)).toBe(v.excluded);
      });
    }
    // Walker columns: only for file-form patterns on a path that can exist in a tree.
    const walkable = !v.raw && !v.path.endsWith('/') && !v.path.startsWith('/');
    if (walkable && v.classicWalkerExcluded !== undefined) {
      it(`${label(v, i)} legacy walker → ${v.classicWalkerExcluded ? 'absent' : 'sent'}`, () => {
        expect(excludedFromImage(v, 'legacy')).toBe(v.classicWalkerExcluded);
      });
    }
    if (walkable && v.buildkitWalkerExcluded_simulated !== undefined) {
      it(`${label(v, i)} buildkit walker → ${v.buildkitWalkerExcluded_simulated ? 'absent' : 'sent'}`, () => {
        expect(excludedFromImage(v, 'buildkit')).toBe(v.buildkitWalkerExcluded_simulated);
      });
    }
  });
});
