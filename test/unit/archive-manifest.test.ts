/**
 * The manifest schema: what the writer produces reads back identically, a damaged or foreign
 * manifest is refused naming the field, a newer schema names itself; plus the small pure pieces
 * around it (README text, member paths, layer comparison, tag splitting).
 */
import { describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest, ARCHIVE_MANIFEST_VERSION } from '../../src/archive/archive-manifest.js';
import { hardlinkTarget, memberPath, symlinkTarget } from '../../src/archive/member-path.js';
import { renderReadme } from '../../src/archive/readme.js';
import { compareLayers, splitTag } from '../../src/archive/restore-archive.js';
import { sha256sums } from '../../src/archive/write-archive.js';
import { fixtureArchive } from '../support/archive-fixtures.js';

describe('pack/manifest.json', () => {
  it('reads back exactly what the writer wrote', async () => {
    const { manifest } = await fixtureArchive();
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
    expect(manifest.schemaVersion).toBe(ARCHIVE_MANIFEST_VERSION);
    // Every member before the manifest, pack's own last.
    expect(manifest.members.map((m) => m.path).slice(-4)).toEqual(['pack/', 'pack/Dockerfile', 'pack/README.txt', 'pack/context.tar']);
  });

  it('names the field that is missing or of the wrong type', async () => {
    const { manifest } = await fixtureArchive();
    const json = JSON.parse(serializeManifest(manifest).toString('utf8')) as Record<string, unknown>;
    const without = (mutate: (doc: Record<string, any>) => void): Buffer => {
      const copy = structuredClone(json) as Record<string, any>;
      mutate(copy);
      return Buffer.from(JSON.stringify(copy));
    };
    expect(() => parseManifest(without((doc) => delete doc['image'].id))).toThrow('pack/manifest.json: image.id is missing');
    expect(() => parseManifest(without((doc) => (doc['image'].diffIds[0] = 'sha256:xyz')))).toThrow('pack/manifest.json: image.diffIds[0] must be a digest (sha256: and 64 hex digits)');
    expect(() => parseManifest(without((doc) => (doc['members'][0].size = -1)))).toThrow('pack/manifest.json: members[0].size must be a whole number');
    expect(() => parseManifest(without((doc) => (doc['build'].mode = 'magic')))).toThrow('pack/manifest.json: build.mode must be one of built, reused, given');
    expect(() => parseManifest(Buffer.from('{"schemaVersion": 1,'))).toThrow(/^pack\/manifest\.json is not valid JSON/);
  });

  it('refuses a newer schema by name instead of misreading it', async () => {
    const { manifest } = await fixtureArchive();
    const newer = Buffer.from(JSON.stringify({ ...manifest, schemaVersion: 2 }));
    expect(() => parseManifest(newer)).toThrow('pack/manifest.json has schema version 2; this pack reads version 1 — use a newer pack');
  });
});

describe('member paths', () => {
  it('normalises safe names and says why the others are unsafe', () => {
    expect(memberPath('./a/b/')).toEqual({ ok: true, path: 'a/b' });
    expect(memberPath('./')).toEqual({ ok: true, path: '' });
    expect(memberPath('a/./b')).toEqual({ ok: true, path: 'a/b' });
    expect(memberPath('a/../b')).toEqual({ ok: false, reason: 'has a ".." component' });
    expect(memberPath('/abs')).toEqual({ ok: false, reason: 'is an absolute path' });
    expect(memberPath('C:/x')).toEqual({ ok: false, reason: 'contains a drive letter or a backslash' });
    expect(memberPath('a//b')).toEqual({ ok: false, reason: 'has an empty component ("//")' });
    expect(symlinkTarget('abc/layer.tar', '../def/layer.tar')).toEqual({ ok: true, path: 'def/layer.tar' });
    expect(symlinkTarget('abc/layer.tar', '../../etc')).toEqual({ ok: false, reason: 'points outside the archive ("../../etc")' });
    expect(hardlinkTarget('./a')).toEqual({ ok: true, path: 'a' });
  });
});

describe('the pure pieces', () => {
  it('README says how to load, run, check and rebuild with docker alone', () => {
    const text = renderReadme({
      packVersion: '1.0.0',
      created: '2026-01-01T00:00:00Z',
      fileName: 'app.tar.gz',
      gzip: true,
      imageId: `sha256:${'a'.repeat(64)}`,
      repoTags: ['app:1'],
      platform: 'linux/amd64',
      sourceDirectory: 'app',
      git: { remote: 'https://example.com/app.git', commit: 'c'.repeat(40), dirty: false },
      dockerfileInContext: '.dockerfile.0123456789abcdef0123',
      buildArgs: { GREETING: "it's me" },
      labels: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
      target: null,
      baseImages: [{ reference: 'busybox:local', id: `sha256:${'b'.repeat(64)}` }],
    }).toString('utf8');
    expect(text).toContain('  docker load -i app.tar.gz\n  docker run --rm app:1\n');
    expect(text).toContain('sha256sum -c pack/SHA256SUMS');
    expect(text).toContain(`docker build -f src/.dockerfile.0123456789abcdef0123 --build-arg 'GREETING=it'\\''s me' --label org.opencontainers.image.created=2026-01-01T00:00:00Z src`);
    expect(text).toContain(`    busybox:local  (image ID sha256:${'b'.repeat(64)})`);
  });

  it('SHA256SUMS lines are what sha256sum -c reads', () => {
    const sums = sha256sums([
      { path: 'a.json', type: 'file', size: 1, digest: `sha256:${'1'.repeat(64)}`, linkname: null },
      { path: 'dir/', type: 'dir', size: null, digest: null, linkname: null },
      { path: 'x/layer.tar', type: 'symlink', size: null, digest: null, linkname: '../y/layer.tar' },
    ]);
    expect(sums.toString()).toBe(`${'1'.repeat(64)}  a.json\n`);
  });

  it('compares layers one by one with the instruction that made each', () => {
    const id = (n: number): string => `sha256:${String(n).repeat(64)}`;
    const comparison = compareLayers(
      {
        image: {
          diffIds: [id(1), id(2), id(3)],
          history: [
            { createdBy: '', emptyLayer: false },
            { createdBy: '/bin/sh -c #(nop) ENV A=1', emptyLayer: true },
            { createdBy: '/bin/sh -c #(nop) COPY file:x in /', emptyLayer: false },
            { createdBy: '/bin/sh -c make', emptyLayer: false },
          ],
        } as never,
      },
      [id(1), id(2), id(4), id(5)],
    );
    expect(comparison.map((c) => [c.index, c.identical, c.command])).toEqual([
      [1, true, ''],
      [2, true, '/bin/sh -c #(nop) COPY file:x in /'],
      [3, false, '/bin/sh -c make'],
      [4, false, ''],
    ]);
  });

  it('splits tags the way docker does (a registry port is not a tag)', () => {
    expect(splitTag('app:1')).toEqual({ repository: 'app', tag: '1' });
    expect(splitTag('127.0.0.1:5000/app')).toEqual({ repository: '127.0.0.1:5000/app', tag: 'latest' });
    expect(splitTag('127.0.0.1:5000/ns/app:2.0')).toEqual({ repository: '127.0.0.1:5000/ns/app', tag: '2.0' });
  });
});
