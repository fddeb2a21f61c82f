/**
 * The walk on a worker thread (src/context/walk-in-worker.ts), which only the built CLI runs: the
 * unit tests run the TypeScript sources, where the walk stays in the calling thread. The built
 * `pack context` must write exactly the bytes the in-thread walk gives, for trees with every kind
 * of member and more entries than the worker may have in flight, and must carry the walk's
 * warnings and errors across the thread boundary unchanged.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prepareContext } from '../../src/context/prepare.js';
import { tarContext } from '../../src/context/tar-encoder.js';
import type { WalkMode } from '../../src/context/walk.js';
import { assertBuilt, runPack, unprivileged } from '../support/run-pack.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

let base: string;
let dir: string;
let counter = 0;
beforeAll(() => {
  assertBuilt();
  base = mkdtempSync(join(tmpdir(), 'pack-cli-walk-worker-'));
  chmodSync(base, 0o755);
});
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+rwx', base]);
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => {
  counter += 1;
  dir = join(base, `p${counter}`);
  mkdirSync(dir, { mode: 0o755 });
});

const tree = (files: TreeFiles): string => writeTree(dir, files);

async function inThreadTar(mode: WalkMode): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarContext(prepareContext({ contextDir: dir, mode }).entries())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('pack context with the walk on a worker thread', () => {
  it('writes the same bytes as the in-thread walk, in both modes, past the worker’s batch and credit limits', async () => {
    const files: Record<string, string> = {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\nbuild\n!build/keep-*.txt\n*.log\n',
      'build/keep-1.txt': 'kept',
      'build/drop.txt': 'dropped',
      'node_modules/x/index.js': 'x',
      'debug.log': 'log',
      'żółw/ünïcödé.txt': 'non-ascii',
      [`${'long-directory-name/'.repeat(8)}file-with-a-long-name.txt`]: 'long',
    };
    // 6000 files in 60 directories: many batches, more than may be in flight at once.
    for (let i = 0; i < 6000; i++) files[`src/d${i % 60}/f${i}.txt`] = `content ${i}\n`.repeat(i % 7);
    tree(files);
    mkdirSync(join(dir, 'empty'));
    symlinkSync('../Dockerfile', join(dir, 'src/link'));
    symlinkSync('/nowhere', join(dir, 'dangling'));
    linkSync(join(dir, 'src/d0/f0.txt'), join(dir, 'hard.txt'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    chmodSync(join(dir, 'src/d1'), 0o2755);

    for (const mode of ['buildkit', 'legacy'] as const) {
      const run = await runPack(['context', '.', '--dockerignore-mode', mode, '-o', `../out-${counter}-${mode}.tar`], { cwd: dir, home: base });
      expect(run.stderr).toMatch(/entries/);
      expect(run.code).toBe(0);
      const written = readFileSync(join(base, `out-${counter}-${mode}.tar`));
      const expected = await inThreadTar(mode);
      expect(written.length).toBe(expected.length);
      expect(written.equals(expected)).toBe(true);
    }
  });

  it('forwards the walk’s warnings (a socket is skipped) and still writes the tar', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'a.txt': 'a' });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    try {
      const run = await runPack(['context', '.', '-o', '../warned.tar'], { cwd: dir, home: base });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('sock: socket not sent (Docker skips them too)');
      expect(readFileSync(join(base, 'warned.tar')).equals(await inThreadTar('buildkit'))).toBe(true);
    } finally {
      server.close();
    }
  });

  it('an unreadable directory that would be sent: one line naming it, exit 1, nothing written', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'ok.txt': 'x', 'private/key.pem': 'secret' });
    chmodSync(join(dir, 'private'), 0o700);
    chmodSync(dir, 0o777); // the unprivileged run must be able to create its output here
    const run = await runPack(['context', dir, '-o', join(dir, 'out.tar')], unprivileged());
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe('pack: cannot read private: permission denied');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.startsWith('out.tar'))).toEqual([]);
  });
});
