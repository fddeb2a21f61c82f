/**
 * readProjectTags on real folders: a temporary git repository (real git), its tags and manifests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { formatProjectTags, parseTagOptions, readProjectTags, tagsDocument } from '../../src/tags/project-tags.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pack-tags-project-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function git(...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
    encoding: 'utf8',
  }).trim();
}

async function commitAll(message: string): Promise<string> {
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

describe('readProjectTags', () => {
  it('release from an annotated v-tag on HEAD, with the repository on each reference', async () => {
    git('init', '-q');
    await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.4.2"}\n');
    const commit = await commitAll('release');
    git('tag', '-a', 'v1.4.2', '-m', 'release 1.4.2');
    const tags = await readProjectTags(dir, parseTagOptions({ repository: '127.0.0.1:5000/team/app' }));
    expect(tags.version.version).toMatchObject({ value: '1.4.2', source: 'git-tag', origin: 'git tag v1.4.2' });
    expect(tags.references).toEqual([
      '127.0.0.1:5000/team/app:1.4.2',
      `127.0.0.1:5000/team/app:sha-${commit.slice(0, 7)}`,
      '127.0.0.1:5000/team/app:1.4',
      '127.0.0.1:5000/team/app:1',
      '127.0.0.1:5000/team/app:latest',
    ]);
    const text = formatProjectTags(tags);
    expect(text.split('\n')[0]).toBe('Version 1.4.2  (git tag v1.4.2 on HEAD)');
    expect(text).toContain('127.0.0.1:5000/team/app:latest');
    expect(tagsDocument(tags)).toMatchObject({ repository: '127.0.0.1:5000/team/app', canonical: '127.0.0.1:5000/team/app' });
  });

  it('an older release checked out keeps latest where the newer git tag put it', async () => {
    git('init', '-q');
    await writeFile(join(dir, 'f'), '1');
    await commitAll('one');
    git('tag', 'v1.0.0');
    await writeFile(join(dir, 'f'), '2');
    await commitAll('two');
    git('tag', 'v2.0.0');
    git('checkout', '-q', 'v1.0.0');
    const tags = await readProjectTags(dir, parseTagOptions({}));
    expect(tags.set.tags.map((t) => t.kind)).toEqual(['version', 'sha', 'minor', 'major']);
    expect(tags.set.skipped).toEqual([{ kind: 'latest', reason: '2.0.0 is a newer release (git tag)' }]);
  });

  it('uncommitted changes to a tracked file: sha-…-dirty only, with the warning', async () => {
    git('init', '-q');
    await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "svc"\nversion = "0.9.0"\n');
    const commit = await commitAll('init');
    await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "svc"\nversion = "0.9.1"\n');
    const tags = await readProjectTags(dir, parseTagOptions({}));
    expect(tags.version.version?.value).toBe('0.9.1');
    expect(tags.set.tags.map((t) => t.tag)).toEqual([`sha-${commit.slice(0, 7)}-dirty`]);
    expect(tags.set.warnings.map((w) => w.code)).toEqual(['tags.dirty']);
  });

  it('not a git repository: the manifest version, no sha tag', async () => {
    await writeFile(join(dir, 'pyproject.toml'), '[tool.poetry]\nname = "svc"\nversion = "3.2.1"\n');
    const tags = await readProjectTags(dir, parseTagOptions({ version: undefined }));
    expect(tags.git).toBeUndefined();
    expect(tags.set.tags.map((t) => t.tag)).toEqual(['3.2.1', '3.2', '3', 'latest']);
  });

  it('validates flags before reading anything', () => {
    expect(() => parseTagOptions({ repository: 'Registry.example.com/App:1.0' })).toThrow(UsageError);
    expect(() => parseTagOptions({ repository: '127.0.0.1:5000/app:1.0' })).toThrow('names a tag or digest; give the repository only');
    expect(() => parseTagOptions({ tagScheme: 'weekly' })).toThrow(UsageError);
  });
});
