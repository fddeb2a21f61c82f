// `npm run bench`: every performance target of pack, measured in one run against a reference
// tool on the same machine, printed as ratios side by side. Corpora live in .bench/ (generated on
// first use from a fixed seed). Parts that need a Docker engine are skipped, loudly, without one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { largeFilesCorpus, smallFilesCorpus } from './corpora.mjs';
import { contextBench } from './context-bench.mjs';

const base = join(new URL('..', import.meta.url).pathname, '.bench');
mkdirSync(base, { recursive: true });

const corpora = [
  { label: '(a) 40k small files, ~80 MB, node_modules/.git excluded', root: smallFilesCorpus(base), excludes: ['node_modules', '.git'], target: 2.0 },
  { label: '(b) ~1 GB in 4 large files', root: largeFilesCorpus(base), excludes: ['.complete'], target: 1.5 },
];

const rows = [];
for (const corpus of corpora) rows.push(...[contextBench(corpus)].flat());

// Later parts (build, archive) add their rows here through their own modules.
for (const part of ['./build-bench.mjs', './archive-bench.mjs']) {
  let module;
  try {
    module = await import(part);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') continue;
    throw error;
  }
  rows.push(...(await module.default({ base, corpora })));
}

const mb = (b) => (b === undefined ? '—' : `${(b / 1024 / 1024).toFixed(0)} MB`);
console.log('');
console.log(['benchmark'.padEnd(62), 'reference'.padStart(10), 'pack'.padStart(10), 'ratio'.padStart(8), 'target'.padStart(8), 'peak RSS'.padStart(10), ''].join(' '));
let failed = 0;
for (const r of rows) {
  // Rows without a ratio target are for information; their RSS target still counts.
  const ok = (r.target === undefined || r.ratio <= r.target) && (r.rssTarget === undefined || r.peakRss === undefined || r.peakRss <= r.rssTarget);
  if (!ok) failed += 1;
  console.log(
    [
      r.name.padEnd(62),
      `${r.reference.toFixed(2)}s`.padStart(10),
      `${r.candidate.toFixed(2)}s`.padStart(10),
      `${r.ratio.toFixed(2)}×`.padStart(8),
      (r.target === undefined ? '—' : `≤${r.target}×`).padStart(8),
      mb(r.peakRss).padStart(10),
      ok ? 'ok' : 'MISSED',
    ].join(' '),
  );
}
console.log('');
if (failed > 0) {
  console.log(`${failed} target(s) missed`);
  process.exitCode = 1;
}
