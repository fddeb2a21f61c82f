// pack archive and pack verify on a ~1 GB image, against the engine's own tools on the same machine:
//  - pack archive --image vs `docker save -o`: the same image (four 256 MB layers of random data
//    made by RUN, so the build context is a few bytes and both files hold the same image); pack
//    also parses and hashes every member, checks the image's consistency, adds pack/ and fsyncs.
//    Target ≤ 1.3×, peak RSS ≤ 256 MB (the image streams through; it is never held in memory).
//  - pack verify vs one sha256 pass over the same archive (openssl dgst -sha256): the floor for
//    any checker that reads every byte. Throughputs in MB/s are in the row's name. Target ≤ 1.5×.
// Called by bench/run.mjs ({ base, corpora }); returns rows for its table. Without an engine the
// part is skipped, loudly.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, RSS_PROBE, runOnce } from './measure.mjs';

const PACK = new URL('../dist/cli/main.js', import.meta.url).pathname;
const LAYERS = 4;
const LAYER_MB = 256;

function engineMissing() {
  const result = spawnSync('docker', ['version', '--format', '{{.Server.APIVersion}}'], { encoding: 'utf8' });
  return result.status === 0 ? undefined : (result.stderr || result.error?.message || 'docker version failed').trim();
}

function row(name, result, target, extra = {}) {
  return { name, reference: result.reference, candidate: result.candidate, ratio: result.candidate / result.reference, target, peakRss: result.peakRss, ...extra };
}

/**
 * A project whose image is ~1 GB of incompressible layers made by RUN (the context stays tiny),
 * outside any git work tree (under .bench/ it would inherit pack's own repository).
 */
function imageProject(out) {
  const dir = join(out, 'project');
  mkdirSync(dir, { recursive: true });
  const steps = Array.from({ length: LAYERS }, (_, i) => `RUN dd if=/dev/urandom of=/data-${i} bs=1M count=${LAYER_MB} 2>/dev/null`);
  writeFileSync(join(dir, 'Dockerfile'), ['FROM busybox:local', ...steps, ''].join('\n'));
  return dir;
}

export default async function archiveBench({ runs = 3 }) {
  const missing = engineMissing();
  if (missing !== undefined) {
    console.warn(`!!! archive benchmark SKIPPED: no Docker engine (${missing})`);
    return [];
  }
  const tag = `pack-bench-archive-${Math.random().toString(36).slice(2, 8)}:latest`;
  const out = mkdtempSync(join(tmpdir(), 'pack-bench-archive-'));
  const project = imageProject(out);
  const reference = join(out, 'docker-save.tar');
  const candidate = join(out, 'pack-archive.tar');
  const rows = [];
  try {
    runOnce('docker', ['build', '--quiet', '--network', 'none', '--label', 'dev.pack.bench=1', '--tag', tag, project], { env: { DOCKER_BUILDKIT: '0' } });
    const clean = () => {
      rmSync(reference, { force: true });
      rmSync(candidate, { force: true });
    };
    const archive = compare(
      ['docker', ['save', '-o', reference, tag]],
      [process.execPath, ['--import', RSS_PROBE, PACK, 'archive', project, '--image', tag, '--output', candidate, '--quiet']],
      runs,
      clean,
    );
    // compare() cleans before each run: the last reference is gone, the last archive is not.
    const imageMb = Math.round(Number(spawnSync('docker', ['image', 'inspect', '--format', '{{.Size}}', tag], { encoding: 'utf8' }).stdout.trim()) / 1e6);
    rows.push({ ...row(`pack archive vs docker save -o — ${imageMb} MB image, ${LAYERS} layers`, archive, 1.3), rssTarget: 256 * 1024 * 1024 });

    // Verify the archive the last run left (compare() removes files only before each run).
    const size = statSync(candidate).size;
    const verify = compare(['openssl', ['dgst', '-sha256', candidate]], [process.execPath, ['--import', RSS_PROBE, PACK, 'verify', candidate, '--quiet']], runs);
    const mbps = (seconds) => Math.round(size / 1e6 / seconds);
    rows.push({
      ...row(`pack verify ${mbps(verify.candidate)} MB/s vs one sha256 pass ${mbps(verify.reference)} MB/s — ${Math.round(size / 1e6)} MB archive`, verify, 1.5),
      throughputMBps: mbps(verify.candidate),
      rssTarget: 256 * 1024 * 1024,
    });
  } finally {
    spawnSync('docker', ['rmi', '--force', tag], { stdio: 'ignore' });
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}
