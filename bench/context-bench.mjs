// pack context vs GNU tar on the two corpora: wall-time ratios and pack's peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, RSS_PROBE } from './measure.mjs';

const PACK = new URL('../dist/cli/main.js', import.meta.url).pathname;

export function contextBench(corpus, { runs = 3 } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'pack-bench-out-'));
  try {
    const excludes = corpus.excludes.flatMap((e) => [`--exclude=./${e}`]);
    const tarArgs = ['-C', corpus.root, '-cf', join(out, 'gnu.tar'), ...excludes, '.'];
    const packArgs = ['--import', RSS_PROBE, PACK, 'context', corpus.root, '--quiet', '--output', join(out, 'pack.tar')];
    const result = compare(['tar', tarArgs], [process.execPath, packArgs], runs, () => {
      rmSync(join(out, 'gnu.tar'), { force: true });
      rmSync(join(out, 'pack.tar'), { force: true });
    });
    return {
      name: `pack context vs GNU tar — ${corpus.label}`,
      reference: result.reference,
      candidate: result.candidate,
      ratio: result.candidate / result.reference,
      target: corpus.target,
      peakRss: result.peakRss,
      rssTarget: 150 * 1024 * 1024,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
