/**
 * Output files appear whole or not at all (src/output/atomic-file.ts), and `--gzip` output is
 * deterministic (src/output/gzip.ts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PackError } from '../../src/errors.js';
import { writeFileAtomically } from '../../src/output/atomic-file.js';
import { gzipStream } from '../../src/output/gzip.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pack-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A source that yields `chunks` (with a pause between them) and then, optionally, fails. */
function source(chunks: Buffer[], options: { failWith?: Error; pauseMs?: number } = {}): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 0));
        yield chunk;
      }
      if (options.failWith !== undefined) throw options.failWith;
    })(),
    { objectMode: false },
  );
}

const megabytes = (n: number, fill: number): Buffer[] => Array.from({ length: n }, () => Buffer.alloc(1024 * 1024, fill));

describe('writeFileAtomically', () => {
  it('writes everything, reports the byte count and leaves no partial file', async () => {
    const dest = join(dir, 'context.tar');
    const chunks = megabytes(3, 7);
    await expect(writeFileAtomically(dest, source(chunks))).resolves.toEqual({ bytes: 3 * 1024 * 1024 });
    expect(readFileSync(dest).equals(Buffer.concat(chunks))).toBe(true);
    expect(readdirSync(dir)).toEqual(['context.tar']);
  });

  it('creates the file with the requested mode (before the umask)', async () => {
    const dest = join(dir, 'private.tar');
    await writeFileAtomically(dest, source([Buffer.from('x')]), { mode: 0o600 });
    expect(statSync(dest).mode & 0o777).toBe(0o600);
  });

  it('replaces an existing file only when the new one is complete', async () => {
    const dest = join(dir, 'out.tar');
    writeFileSync(dest, 'old');
    await writeFileAtomically(dest, source([Buffer.from('new contents')]));
    expect(readFileSync(dest, 'utf8')).toBe('new contents');
  });

  it('on a failure mid-stream leaves neither the destination nor a partial file, and rethrows the error as is', async () => {
    const dest = join(dir, 'context.tar');
    const failure = new PackError('CONTEXT_UNREADABLE', 'cannot read src/secret.key: permission denied');
    await expect(writeFileAtomically(dest, source(megabytes(2, 1), { failWith: failure }))).rejects.toBe(failure);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('on a failure keeps the previous file untouched', async () => {
    const dest = join(dir, 'context.tar');
    writeFileSync(dest, 'previous');
    await expect(writeFileAtomically(dest, source(megabytes(1, 1), { failWith: new Error('boom') }))).rejects.toThrow('boom');
    expect(readdirSync(dir)).toEqual(['context.tar']);
    expect(readFileSync(dest, 'utf8')).toBe('previous');
  });

  it('on abort mid-stream rejects with an AbortError and leaves nothing behind', async () => {
    const dest = join(dir, 'context.tar');
    const controller = new AbortController();
    const input = source(megabytes(50, 2), { pauseMs: 5 });
    let seen = 0;
    input.on('data', () => {
      if (++seen === 3) controller.abort();
    });
    await expect(writeFileAtomically(dest, input, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(input.destroyed).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('with an already aborted signal writes nothing and destroys the source', async () => {
    const controller = new AbortController();
    controller.abort();
    const input = source([Buffer.from('x')]);
    await expect(writeFileAtomically(join(dir, 'x.tar'), input, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(input.destroyed).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('runs a transform stage (gzip) inside its pipeline, so a source failing mid-stream still cleans up', async () => {
    const dest = join(dir, 'context.tar.gz');
    await writeFileAtomically(dest, source([Buffer.from('tar bytes')]), { transform: gzipStream() });
    expect(gunzipSync(readFileSync(dest)).toString()).toBe('tar bytes');
    const failure = new PackError('CONTEXT_CHANGED', 'a.txt changed while packing: it grew');
    const gzip = gzipStream();
    await expect(writeFileAtomically(join(dir, 'failed.tar.gz'), source(megabytes(1, 1), { failWith: failure }), { transform: gzip })).rejects.toBe(failure);
    expect(gzip.destroyed).toBe(true);
    expect(readdirSync(dir)).toEqual(['context.tar.gz']);
  });

  it('names the destination when it cannot be written', async () => {
    const missing = join(dir, 'no/such/dir/context.tar');
    await expect(writeFileAtomically(missing, source([Buffer.from('x')]))).rejects.toMatchObject({
      name: 'PackError',
      code: 'OUTPUT_WRITE_FAILED',
      message: `cannot write ${missing}: directory ${join(dir, 'no/such/dir')} does not exist`,
    });
    mkdirSync(join(dir, 'a-directory'));
    await expect(writeFileAtomically(join(dir, 'a-directory'), source([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'OUTPUT_WRITE_FAILED',
      message: `cannot write ${join(dir, 'a-directory')}: it is a directory`,
    });
    expect(readdirSync(dir)).toEqual(['a-directory']);
  });
});

describe('gzipStream', () => {
  const data = Buffer.concat([Buffer.alloc(300_000, 'a'), Buffer.from('the end\n')]);
  const gzip = async (level?: number): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of source([data.subarray(0, 1000), data.subarray(1000)]).pipe(gzipStream(level === undefined ? {} : { level }))) {
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };

  it('writes a header without time or machine: MTIME 0, OS 3 (Unix), no name', async () => {
    const out = await gzip();
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3
    expect(out.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
    expect(gunzipSync(out).equals(data)).toBe(true);
  });

  it('gives identical bytes for identical input, whatever the chunking', async () => {
    const first = await gzip();
    const whole: Buffer[] = [];
    for await (const chunk of Readable.from([data]).pipe(gzipStream())) whole.push(chunk as Buffer);
    expect(createHash('sha256').update(Buffer.concat(whole)).digest('hex')).toBe(createHash('sha256').update(first).digest('hex'));
  });

  it('follows the level (XFL 4 at level 1, 2 at level 9)', async () => {
    expect((await gzip(1))[8]).toBe(4);
    expect((await gzip(9))[8]).toBe(2);
  });
});
