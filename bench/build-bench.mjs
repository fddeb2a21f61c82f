// pack build vs `DOCKER_BUILDKIT=0 docker build` on the same engine, Dockerfile and context:
//  - first build: both with --no-cache (every layer made anew) and pack with a cold stat cache;
//  - unchanged rebuild: docker's fully cached rebuild (it still sends and hashes the whole
//    context) vs pack's skip (stat cache + one image lookup, nothing sent).
// Targets: first build ≤ 1.1× docker; unchanged rebuild ≤ 0.2× docker.
// Called by bench/run.mjs with its corpora ({ label, root }); returns rows for its table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, runOnce } from './measure.mjs';

const PACK = new URL('../dist/cli/main.js', import.meta.url).pathname;

function engineAvailable() {
  const result = spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { encoding: 'utf8' });
  return result.status === 0 ? undefined : (result.stderr || result.error?.message || 'docker version failed').trim();
}

function removeImages(...names) {
  spawnSync('docker', ['rmi', '--force', ...names], { stdio: 'ignore' });
}

/** A row of bench/run.mjs's table from a compare() result. */
function row(name, result, target) {
  return { name, reference: result.reference, candidate: result.candidate, ratio: result.candidate / result.reference, target, peakRss: result.peakRss };
}

/** Rows for one corpus: first build and unchanged rebuild, as ratios pack / docker. */
export async function buildBench({ corpora, runs = 3, firstBuildRuns = 2 }) {
  const missing = engineAvailable();
  if (missing !== undefined) {
    console.warn(`!!! build benchmark SKIPPED: no Docker engine (${missing})`);
    return [];
  }
  const rows = [];
  for (const corpus of corpora) {
    const scratch = mkdtempSync(join(tmpdir(), 'pack-bench-build-'));
    // Fixed names: a run that was interrupted leaves nothing the next run does not replace.
    const dockerTag = 'pack-bench-docker:latest';
    const packTag = 'pack-bench-pack:latest';
    const dockerEnv = { env: { DOCKER_BUILDKIT: '0' } };
    const packEnv = (cacheDir) => ({ env: { XDG_CACHE_HOME: cacheDir } });
    try {
      // First builds: nothing cached, images removed between runs so layers do not pile up.
      const cold = join(scratch, 'cold-cache');
      const first = compare(
        ['docker', ['build', '--quiet', '--no-cache', '--tag', dockerTag, corpus.root], dockerEnv],
        [process.execPath, [PACK, 'build', corpus.root, '--quiet', '--no-cache', '--tag', packTag], packEnv(cold)],
        // First builds of the large corpora take tens of seconds each: fewer runs (median of 2 after a warm-up).
        firstBuildRuns,
        () => {
          removeImages(dockerTag, packTag);
          rmSync(cold, { recursive: true, force: true });
        },
      );
      rows.push(row(`pack build vs docker build, first build — ${corpus.label}`, first, 1.1));

      // Unchanged rebuilds: one build each to fill the caches, then repeated identical builds.
      const warm = join(scratch, 'warm-cache');
      removeImages(dockerTag, packTag);
      runOnce('docker', ['build', '--quiet', '--tag', dockerTag, corpus.root], dockerEnv);
      runOnce(process.execPath, [PACK, 'build', corpus.root, '--quiet', '--tag', packTag], packEnv(warm));
      const rebuild = compare(
        ['docker', ['build', '--quiet', '--tag', dockerTag, corpus.root], dockerEnv],
        [process.execPath, [PACK, 'build', corpus.root, '--quiet', '--tag', packTag], packEnv(warm)],
        runs,
      );
      rows.push(row(`pack build vs docker build, unchanged rebuild — ${corpus.label}`, rebuild, 0.2));
    } finally {
      removeImages(dockerTag, packTag);
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return rows;
}

export default buildBench;
