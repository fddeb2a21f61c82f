// Timing helpers shared by the benchmark parts: wall time of a command (median of several runs,
// after one warm-up) and the peak RSS of node processes started with bench/rss-probe.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const RSS_PROBE = new URL('./rss-probe.mjs', import.meta.url).pathname;

/** Runs `command args` once; throws with its stderr when it fails. Returns seconds and peak RSS (node only). */
export function runOnce(command, args, options = {}) {
  const rssDir = mkdtempSync(join(tmpdir(), 'pack-bench-rss-'));
  const rssFile = join(rssDir, 'rss');
  const started = performance.now();
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: { ...process.env, ...(options.env ?? {}), PACK_BENCH_RSS_FILE: rssFile },
  });
  const seconds = (performance.now() - started) / 1000;
  let rss;
  try {
    rss = Number(readFileSync(rssFile, 'utf8'));
  } catch {
    rss = undefined;
  }
  rmSync(rssDir, { recursive: true, force: true });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${String(result.stderr).slice(-2000)}`);
  }
  return { seconds, rss };
}

/** One warm-up, then `runs` measured runs of each contender, interleaved; medians. */
export function compare(reference, candidate, runs = 3, between = () => {}) {
  between();
  runOnce(...reference);
  between();
  runOnce(...candidate);
  const ref = [];
  const cand = [];
  let peak = 0;
  for (let i = 0; i < runs; i += 1) {
    between();
    ref.push(runOnce(...reference).seconds);
    between();
    const c = runOnce(...candidate);
    cand.push(c.seconds);
    peak = Math.max(peak, c.rss ?? 0);
  }
  return { reference: median(ref), candidate: median(cand), peakRss: peak || undefined };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** CPU time of the whole machine (all cores), busy and total, from the kernel's counters. */
function cpuTimes() {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(sleeper, 0, 0, ms);

/**
 * Waits (up to `maxSeconds`) until the machine has been nearly idle for half a second, so that a
 * measured run does not share the cores with someone's test suite. Says so when it gives up.
 */
export function waitForQuiet({ busyBelow = 0.08, maxSeconds = 60 } = {}) {
  const until = performance.now() + maxSeconds * 1000;
  while (performance.now() < until) {
    const a = cpuTimes();
    sleep(500);
    const b = cpuTimes();
    if ((b.busy - a.busy) / Math.max(1, b.total - a.total) < busyBelow) return true;
  }
  console.error(`bench: the machine stayed busy for ${maxSeconds} s; measuring anyway (expect noise)`);
  return false;
}
