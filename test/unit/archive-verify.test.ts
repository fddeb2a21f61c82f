/**
 * Archives written by the real writer from hand-made `docker save` streams (both layouts), then
 * read back by `pack verify`'s checker: a good archive holds; a flipped byte in any member type,
 * in a header, in padding, a truncated file, hostile member names and links, an unlisted member
 * and a duplicated one are each found and named.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive, type VerifyReport } from '../../src/archive/verify-archive.js';
import { dataOffset, dockerSave, fixtureArchive, flipped, layerWith, tarOf, type TarSpec } from '../support/archive-fixtures.js';

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-archive-verify-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function verifyBytes(bytes: Buffer): Promise<VerifyReport> {
  counter += 1;
  const path = join(root, `archive-${counter}.tar`);
  await writeFile(path, bytes);
  return verifyArchive(path);
}

/** The archive with extra members inserted before its end marker. */
function withMembers(archive: Buffer, extra: readonly TarSpec[]): Buffer {
  return Buffer.concat([archive.subarray(0, archive.length - 1024), tarOf(extra)]);
}

describe('pack verify on a good archive', () => {
  it('holds, and says what it checked', async () => {
    const { bytes, save } = await fixtureArchive();
    const report = await verifyBytes(bytes);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.image).toEqual({ id: save.imageId, layout: 'docker-save', repoTags: ['fixture:1'], layers: 2 });
    expect(report.checks).toEqual([
      expect.stringMatching(/^\d+ members: size and sha256 as recorded in pack\/manifest\.json$/),
      'pack/SHA256SUMS: every file matches, pack/manifest.json included',
      `image ${save.imageId}: config digest = image ID = recorded ID (docker-save layout)`,
      '2/2 layers: sha256 = diff ID',
      'pack/context.tar: 3 entries, well-formed, none escaping; its Dockerfile = pack/Dockerfile',
    ]);
    expect(report.tarBytes).toBe(bytes.length);
  });

  it('passes the engine stream through unchanged up to its end marker', async () => {
    const { bytes, save } = await fixtureArchive({ chunkSize: 777 });
    const image = save.tar.subarray(0, save.tar.length - 1024);
    expect(bytes.subarray(0, image.length).equals(image)).toBe(true);
  });

  it('reads it gzip-compressed (recognised by its magic bytes, whatever the name)', async () => {
    const { bytes } = await fixtureArchive();
    const report = await verifyBytes(gzipSync(bytes));
    expect(report.ok).toBe(true);
    expect(report.gzip).toBe(true);
  });

  it('follows a repeated layer saved as a symlink (Docker ≤ 24)', async () => {
    const layer = layerWith('a', 'same');
    const save = dockerSave({ layers: [layer, layerWith('b', 'other'), layer] });
    expect(save.tar.includes(Buffer.from('../'))).toBe(true);
    const report = await verifyBytes((await fixtureArchive({ save })).bytes);
    expect(report.problems).toEqual([]);
    expect(report.checks).toContain('3/3 layers: sha256 = diff ID');
  });

  it('reads the Docker ≥ 25 OCI layout (assembled by hand: the 20.10 engine cannot write it)', async () => {
    const save = dockerSave({ layers: [layerWith('bin/sh', 'sh'), layerWith('app', 'app')], layout: 'oci' });
    const report = await verifyBytes((await fixtureArchive({ save })).bytes);
    expect(report.problems).toEqual([]);
    expect(report.image?.layout).toBe('oci');
    expect(report.checks).toContain(`image ${save.imageId}: config digest = image ID = recorded ID (oci layout)`);
  });

  it('expands gzip layer blobs of the OCI layout to check their diff IDs', async () => {
    const save = dockerSave({ layers: [layerWith('bin/sh', 'sh'), layerWith('app', 'app')], layout: 'oci', gzipLayers: true });
    const report = await verifyBytes((await fixtureArchive({ save })).bytes);
    expect(report.problems).toEqual([]);
    expect(report.checks).toContain('2/2 layers: sha256 = diff ID');
  });
});

describe('pack verify names a flipped byte', () => {
  const memberNames = async (): Promise<{ bytes: Buffer; names: string[] }> => {
    const { bytes, manifest } = await fixtureArchive();
    const files = manifest.members.filter((m) => m.type === 'file').map((m) => m.path);
    return { bytes, names: [...files, 'pack/manifest.json', 'pack/SHA256SUMS'] };
  };

  it('in each member type: layer, config, docker manifest, repositories, v1 json, VERSION, and all of pack/', async () => {
    const { bytes, names } = await memberNames();
    const kinds = names.map((name) => name.replace(/^[0-9a-f]{64}/, '<hex>'));
    expect(kinds).toEqual(
      expect.arrayContaining([
        '<hex>/layer.tar',
        '<hex>/json',
        '<hex>/VERSION',
        '<hex>.json',
        'manifest.json',
        'repositories',
        'pack/Dockerfile',
        'pack/README.txt',
        'pack/context.tar',
        'pack/manifest.json',
        'pack/SHA256SUMS',
      ]),
    );
    for (const name of names) {
      const at = dataOffset(bytes, name);
      // Bit 0 keeps text text (a hex digit stays a hex digit), so the digest checks, not the parsers, must catch it.
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 0x01;
      const report = await verifyBytes(copy);
      expect(report.ok, name).toBe(false);
      const named = report.problems.find((p) => p.member === name && p.expected !== undefined && p.actual !== undefined);
      expect(named, `${name}: ${JSON.stringify(report.problems)}`).toBeDefined();
      expect(named?.message).toMatch(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*expected sha256:[0-9a-f]{64}, actual sha256:[0-9a-f]{64}$`));
    }
  });

  it('in a layer: the member digest, the SHA256SUMS line and the diff ID all disagree', async () => {
    const { bytes, save } = await fixtureArchive();
    const layer = `${/"Layers":\["([^"]+)"/.exec(save.tar.toString('latin1'))?.[1] ?? ''}`;
    const report = await verifyBytes(flipped(bytes, dataOffset(bytes, layer) + 700));
    expect(report.problems.map((p) => p.code)).toEqual(['MEMBER_DIGEST', 'SUMS_DIGEST', 'IMAGE_LAYER_DIGEST']);
    expect(report.problems[2]?.message).toMatch(new RegExp(`^${layer}: layer 1/2: the config's diff ID expected ${save.diffIds[0]}, actual sha256:`));
  });

  it('in a header, in padding and after the end marker', async () => {
    const { bytes } = await fixtureArchive();
    const header = await verifyBytes(flipped(bytes, dataOffset(bytes, 'pack/README.txt') - 512 + 130));
    expect(header.problems.map((p) => p.code)).toEqual(['TAR_HEADER_CHECKSUM']);
    expect(header.problems[0]?.message).toMatch(/name field "pack\/README.txt"/);
    expect(header.stopped).toBe(true);
    const readme = dataOffset(bytes, 'pack/README.txt');
    const padding = await verifyBytes(flipped(bytes, readme + 511));
    expect(padding.problems[0]?.code).toBe('TAR_PADDING');
    const tail = await verifyBytes(flipped(bytes, bytes.length - 1));
    expect(tail.problems.map((p) => p.code)).toEqual(['TAR_HEADER_INVALID']);
  });

  it('in a gzip-compressed archive', async () => {
    const { bytes } = await fixtureArchive();
    const gz = gzipSync(bytes);
    const report = await verifyBytes(flipped(gz, Math.floor(gz.length / 2)));
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
  });
});

describe('pack verify on a truncated file', () => {
  it('says the tar ends early, wherever it is cut', async () => {
    const { bytes } = await fixtureArchive();
    for (const cut of [100, 512, 5000, bytes.length - 2000, bytes.length - 1024, bytes.length - 512, bytes.length - 1]) {
      const report = await verifyBytes(bytes.subarray(0, cut));
      expect(report.ok, `cut at ${cut}`).toBe(false);
      expect(report.problems.map((p) => p.code), `cut at ${cut}`).toEqual(['TAR_TRUNCATED']);
    }
  });

  it('says the gzip stream ends early', async () => {
    const { bytes } = await fixtureArchive();
    const gz = gzipSync(bytes);
    const report = await verifyBytes(gz.subarray(0, gz.length - 100));
    expect(report.problems.map((p) => p.code)).toEqual(['ARCHIVE_TRUNCATED']);
  });

  it('an archive without its tail: no pack/manifest.json', async () => {
    const { save } = await fixtureArchive();
    const report = await verifyBytes(save.tar);
    expect(report.problems.map((p) => p.code)).toContain('MANIFEST_MISSING');
  });
});

describe('pack verify rejects unsafe members before anything else', () => {
  const cases: [string, TarSpec, RegExp][] = [
    ['a ../ path', { name: '../evil.txt', data: 'x' }, /has a "\.\." component/],
    ['a ../ inside a path', { name: 'pack/../../evil.txt', data: 'x' }, /has a "\.\." component/],
    ['an absolute path', { name: '/etc/cron.d/evil', data: 'x' }, /is an absolute path/],
    ['a symlink out', { name: 'escape', type: 'symlink', linkname: '../../../etc' }, /a symlink that points outside the archive/],
    ['an absolute symlink', { name: 'escape', type: 'symlink', linkname: '/etc/passwd' }, /points at the absolute path "\/etc\/passwd"/],
    ['a hard link out', { name: 'hard', type: 'hardlink', linkname: '../../etc/passwd' }, /a hard link that links to a name that has a "\.\." component/],
    ['a FIFO', { name: 'fifo', type: 'fifo' }, /a FIFO/],
    ['a repeated name', { name: 'manifest.json', data: '[]' }, /repeats an earlier member/],
  ];
  for (const [what, spec, reason] of cases) {
    it(`rejects ${what}`, async () => {
      const { bytes } = await fixtureArchive();
      const report = await verifyBytes(withMembers(bytes, [spec]));
      expect(report.ok).toBe(false);
      expect(report.stopped).toBe(true);
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]?.code).toBe('MEMBER_UNSAFE');
      expect(report.problems[0]?.message).toMatch(reason);
      expect(report.problems[0]?.message).toMatch(/the archive is rejected and nothing was written$/);
    });
  }

  it('rejects a member written through a symlink inside the archive', async () => {
    const { bytes } = await fixtureArchive();
    const report = await verifyBytes(withMembers(bytes, [{ name: 'inside', type: 'symlink', linkname: 'pack' }, { name: 'inside/x', data: 'x' }]));
    expect(report.problems[0]?.message).toMatch(/goes through inside, which is a symlink/);
  });

  it('reports a member the manifest does not list', async () => {
    const { bytes } = await fixtureArchive();
    const report = await verifyBytes(withMembers(bytes, [{ name: 'extra.json', data: '{}' }]));
    expect(report.problems.map((p) => p.code)).toEqual(['MEMBER_UNLISTED', 'SUMS_UNLISTED']);
    expect(report.problems[0]?.message).toBe('extra.json is in the archive but not in pack/manifest.json');
  });

  it('reports unsafe members of the context tar without reading further into them', async () => {
    const context = tarOf([{ name: 'Dockerfile', data: 'FROM busybox:local\nCOPY . /app\n' }, { name: '../outside', data: 'x' }]);
    const { bytes } = await fixtureArchive({ context });
    const report = await verifyBytes(bytes);
    expect(report.problems.map((p) => p.code)).toEqual(['CONTEXT_MEMBER_UNSAFE']);
    expect(report.problems[0]?.message).toBe('pack/context.tar: member "../outside" has a ".." component');
  });
});

describe('pack verify checks the image part for itself', () => {
  it('a layer that is not what the config says', async () => {
    const layers = [layerWith('a', 'one'), layerWith('b', 'two')];
    const save = dockerSave({ layers, diffIds: [`sha256:${'0'.repeat(64)}`, `sha256:${'1'.repeat(64)}`] });
    // The writer refuses to archive it in the first place.
    await expect(fixtureArchive({ save })).rejects.toThrow(/the engine's image stream is inconsistent: .*layer 1\/2: the config's diff ID expected sha256:0{64}, actual sha256:/);
  });

  it('a save stream cut short, or of another image, is never archived', async () => {
    const good = dockerSave({ layers: [layerWith('a', 'one')] });
    const cut = { ...good, tar: good.tar.subarray(0, good.tar.length - 2000) };
    await expect(fixtureArchive({ save: cut })).rejects.toThrow(/^the engine's image stream is not a complete tar: truncated/);
    const other = { ...good, imageId: `sha256:${'2'.repeat(64)}` };
    await expect(fixtureArchive({ save: other })).rejects.toThrow(`the engine saved ${good.imageId}, not sha256:${'2'.repeat(64)}`);
  });

  it('an OCI blob whose name is not its digest', async () => {
    const save = dockerSave({ layers: [layerWith('a', 'one')], layout: 'oci' });
    const { bytes } = await fixtureArchive({ save });
    // Flip a byte inside the OCI index's manifest blob: the blob no longer matches its name.
    const manifestHex = /"digest":"sha256:([0-9a-f]{64})","size":\d+,"annotations"/.exec(bytes.toString('latin1'))?.[1] ?? '';
    const report = await verifyBytes(flipped(bytes, dataOffset(bytes, `blobs/sha256/${manifestHex}`) + 20));
    expect(report.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['MEMBER_DIGEST', 'OCI_BLOB_DIGEST', 'OCI_DESCRIPTOR_DIGEST']));
  });
});
