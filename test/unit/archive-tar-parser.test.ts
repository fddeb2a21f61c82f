/**
 * The strict streaming tar reader: members and data from any chunking, GNU and PAX extensions,
 * and every way an archive can be broken or ambiguous, each named with its offset.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, TarParser, type TarEvent, type TarMember } from '../../src/archive/tar-parser.js';
import { chunked, flipped, tarOf } from '../support/archive-fixtures.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pack-tar-parser-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Read {
  members: (TarMember & { data: string })[];
  end: number | undefined;
}

function read(chunks: readonly Buffer[]): Read {
  const parser = new TarParser();
  const members: (TarMember & { data: string })[] = [];
  let end: number | undefined;
  const handle = (event: TarEvent): void => {
    if (event.kind === 'member') members.push({ ...event.member, data: '' });
    else if (event.kind === 'data') {
      const last = members.at(-1) as TarMember & { data: string };
      last.data += event.chunk.toString('latin1');
    } else if (event.kind === 'end') end = event.offset;
  };
  for (const chunk of chunks) for (const event of parser.write(chunk)) handle(event);
  parser.finish();
  return { members, end };
}

function failure(chunks: readonly Buffer[]): TarFormatError {
  try {
    read(chunks);
  } catch (error) {
    if (error instanceof TarFormatError) return error;
    throw error;
  }
  throw new Error('expected a TarFormatError');
}

const sample = tarOf([
  { name: 'dir/', type: 'dir' },
  { name: 'dir/a.txt', data: 'alpha\n', mode: 0o640, mtime: 1_600_000_000 },
  { name: 'dir/link', type: 'symlink', linkname: 'a.txt' },
  { name: 'hard', type: 'hardlink', linkname: 'dir/a.txt' },
  { name: 'big.bin', data: Buffer.alloc(1500, 7) },
  { name: `${'long/'.repeat(30)}name.txt`, data: 'pax path' },
  { name: 'ünïcode.txt', data: 'pax for non-ascii' },
]);

describe('TarParser', () => {
  it('reads members, data and the end marker', () => {
    const { members, end } = read([sample]);
    expect(members.map((m) => [m.name, m.type, m.size, m.linkname])).toEqual([
      ['dir/', 'dir', 0, ''],
      ['dir/a.txt', 'file', 6, ''],
      ['dir/link', 'symlink', 0, 'a.txt'],
      ['hard', 'hardlink', 0, 'dir/a.txt'],
      ['big.bin', 'file', 1500, ''],
      [`${'long/'.repeat(30)}name.txt`, 'file', 8, ''],
      ['ünïcode.txt', 'file', 17, ''],
    ]);
    expect(members[1]?.mode).toBe(0o640);
    expect(members[1]?.mtime).toBe(1_600_000_000);
    expect(members[1]?.data).toBe('alpha\n');
    expect(members[4]?.data).toBe('\u0007'.repeat(1500));
    expect(end).toBe(sample.length - 1024);
  });

  it('gives the same result for every chunk size, down to single bytes', () => {
    const whole = read([sample]);
    for (const size of [1, 7, 511, 512, 513, 1000, 4096]) {
      expect(read(chunked(sample, size))).toEqual(whole);
    }
  });

  it('reads what GNU tar writes (long names with ././@LongLink, directories, padding to 10 KiB)', async () => {
    const dir = join(root, 'gnu');
    const long = `${'x'.repeat(120)}.txt`;
    spawnSync('mkdir', ['-p', join(dir, 'src', 'sub')]);
    await writeFile(join(dir, 'src', 'sub', long), 'gnu long name');
    const result = spawnSync('tar', ['--format=gnu', '-C', join(dir, 'src'), '-cf', '-', '.'], { maxBuffer: 1 << 20 });
    expect(result.status).toBe(0);
    const { members } = read([result.stdout]);
    expect(members.map((m) => m.name)).toEqual(['./', './sub/', `./sub/${long}`]);
    expect(members[2]?.data).toBe('gnu long name');
  });

  it('says where an archive is truncated', () => {
    const cut = sample.subarray(0, 1024 + 3);
    expect(failure([cut]).message).toBe('truncated: "dir/a.txt" declares 6 bytes but the archive ends after 3');
    expect(failure([sample.subarray(0, sample.length - 512)]).code).toBe('TAR_TRUNCATED');
    expect(failure([sample.subarray(0, sample.length - 1024)]).message).toMatch(/without the end-of-archive marker$/);
    expect(failure([sample.subarray(0, 100)]).message).toMatch(/inside a header block before the first member/);
  });

  it('names a corrupt header by its offset and the member before it', () => {
    const error = failure([flipped(sample, 512 * 3 + 140)]);
    expect(error.code).toBe('TAR_HEADER_CHECKSUM');
    expect(error.offset).toBe(1536);
    expect(error.message).toMatch(/^corrupt tar header at byte 1536 \(the member after "dir\/a.txt", name field "dir\/link"\)/);
  });

  it('refuses non-zero padding and data after the end marker (no byte goes unchecked)', () => {
    const padding = failure([flipped(sample, 1024 + 6 + 10)]);
    expect(padding.code).toBe('TAR_PADDING');
    expect(padding.message).toBe(`non-zero byte at ${1024 + 16} in the padding after "dir/a.txt"`);
    const trailing = failure([Buffer.concat([sample, Buffer.from('junk')])]);
    expect(trailing.code).toBe('TAR_TRAILING_DATA');
    // Zeros after the marker are fine: GNU tar pads to 10 KiB records.
    expect(read([Buffer.concat([sample, Buffer.alloc(9000)])]).members).toHaveLength(7);
  });

  it('refuses header-only members that declare data, and a lone zero block before data', () => {
    const header = tarOf([{ name: 'd/', type: 'dir' }]);
    // Give the directory a size of 512 and fix the checksum.
    const block = Buffer.from(header.subarray(0, 512));
    block.write('00000001000\0', 124, 'latin1');
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(failure([Buffer.concat([block, Buffer.alloc(512), Buffer.alloc(1024)])].map((b) => b)).message).toBe(
      '"d/" at byte 0 is a dir but declares 512 bytes of data',
    );
    const lone = Buffer.concat([Buffer.alloc(512), tarOf([{ name: 'x', data: 'y' }])]);
    expect(failure([lone]).message).toBe('a lone zero block at byte 0 is followed by data at byte 512');
  });

  it('reports the committed offset: bytes that cannot belong to the end marker', () => {
    const parser = new TarParser();
    parser.write(sample.subarray(0, sample.length - 1024 + 100));
    expect(parser.committed).toBe(sample.length - 1024);
    parser.write(sample.subarray(sample.length - 1024 + 100, sample.length - 512));
    expect(parser.committed).toBe(sample.length - 1024);
    parser.write(sample.subarray(sample.length - 512));
    expect(parser.end).toBe(sample.length - 1024);
  });
});
