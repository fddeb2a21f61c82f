/**
 * How archive, verify and restore events are drawn: one plain line each for CI logs, and byte bars
 * (one per operation) on a terminal that give way to the summary line at the end.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PackEvent } from '../../src/progress/events.js';
import { createPlainReporter } from '../../src/progress/reporters/plain-reporter.js';
import { createTtyReporter } from '../../src/progress/reporters/tty-reporter.js';

function sink(isTTY: boolean): Writable & { text: () => string; isTTY: boolean; columns: number } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  }) as Writable & { text: () => string; isTTY: boolean; columns: number };
  stream.text = () => text;
  stream.isTTY = isTTY;
  stream.columns = 100;
  return stream;
}

const ID = `sha256:${'ab'.repeat(32)}`;
const events: PackEvent[] = [
  { type: 'archive.start', output: '/out/app.tar.gz', imageId: ID, tags: ['app:1'], gzip: true, estimatedBytes: 2_000_000 },
  { type: 'archive.progress', operation: 'write', bytes: 1_000_000, totalBytes: 2_000_000 },
  { type: 'archive.progress', operation: 'write', bytes: 2_100_000, totalBytes: 2_000_000 },
  { type: 'archive.done', output: '/out/app.tar.gz', bytes: 900_000, manifestDigest: `sha256:${'cd'.repeat(32)}`, durationMs: 1500 },
];

describe('archive progress', () => {
  it('plain: one line per step, no bars, no timestamps', () => {
    const out = sink(false);
    const reporter = createPlainReporter(out);
    for (const event of events) reporter.emit(event);
    reporter.emit({ type: 'verify.done', archive: '/out/app.tar.gz', ok: false, problems: 2, durationMs: 250 });
    reporter.emit({ type: 'restore.step', step: 'load', message: `Loading ${ID.slice(7, 19)} into unix:///var/run/docker.sock` });
    reporter.emit({ type: 'restore.done', imageId: ID, tags: ['app:1'], durationMs: 3000 });
    reporter.close();
    expect(out.text()).toBe(
      [
        `Archiving abababababab (app:1) to /out/app.tar.gz (gzip)`,
        `Wrote /out/app.tar.gz: 900.0 kB in 1.5s; archive digest sha256:${'cd'.repeat(32)}`,
        'Verified /out/app.tar.gz in 250ms: 2 problems',
        'Loading abababababab into unix:///var/run/docker.sock',
        'Restored abababababab in 3.0s; tagged app:1',
        '',
      ].join('\n'),
    );
  });

  it('tty: a bytes bar while writing, then the summary line in its place', () => {
    const out = sink(true);
    const reporter = createTtyReporter(out);
    for (const event of events) reporter.emit(event);
    reporter.close();
    const text = out.text();
    expect(text).toContain('Archiving abababababab (app:1) to /out/app.tar.gz (gzip)');
    // The bar shows bytes against the total; an estimate that falls short follows the bytes.
    expect(text).toMatch(/Archive {2}\[[█░]+\] (1\.0 MB \/ 2\.0 MB|2\.1 MB \/ 2\.1 MB)/);
    // The bars are erased (ESC[0J) and the summary takes their place.
    expect(text.endsWith(`\u001b[0JWrote /out/app.tar.gz: 900.0 kB in 1.5s; archive digest sha256:${'cd'.repeat(32)}\n`)).toBe(true);
  });
});
