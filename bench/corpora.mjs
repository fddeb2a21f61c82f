// Benchmark corpora, generated once under .bench/ (git-ignored) from a fixed seed, so every run
// and every machine measures the same trees.
import { existsSync, mkdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: a small seeded PRNG; the corpus must not change between runs. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill(random, size) {
  const words = Math.ceil(size / 4);
  const buffer = Buffer.allocUnsafe(words * 4);
  for (let i = 0; i < words; i += 1) buffer.writeUInt32LE((random() * 0x100000000) >>> 0, i * 4);
  return buffer.subarray(0, size);
}

function writeTree(root, prefix, count, meanSize, random) {
  // Directories of ~40 files, three levels deep, like a real source tree.
  for (let i = 0; i < count; i += 1) {
    const dir = join(root, prefix, `d${i % 25}`, `e${Math.floor(i / 25) % 40}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${i}.txt`), fill(random, Math.floor(random() * meanSize * 2)));
  }
}

/** (a) ~40k small files (~80 MB) that are sent, beside node_modules and .git that .dockerignore excludes. */
export function smallFilesCorpus(base) {
  const root = join(base, 'small-files');
  const marker = join(root, '.complete');
  if (existsSync(marker)) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const random = prng(42);
  writeTree(root, 'src', 40_000, 2048, random);
  writeTree(root, 'node_modules', 10_000, 2048, random);
  writeTree(root, '.git', 2_000, 4096, random);
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:local\nCOPY . /app\n');
  writeFileSync(join(root, '.dockerignore'), 'node_modules\n.git\n');
  writeFileSync(marker, '');
  return root;
}

/** (b) ~1 GB in four large files. */
export function largeFilesCorpus(base) {
  const root = join(base, 'large-files');
  const marker = join(root, '.complete');
  if (existsSync(marker)) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  const random = prng(7);
  const chunk = fill(random, 8 * 1024 * 1024);
  for (let f = 0; f < 4; f += 1) {
    const fd = openSync(join(root, 'data', `blob-${f}.bin`), 'w');
    for (let i = 0; i < 32; i += 1) {
      chunk.writeUInt32LE(f * 1000 + i, 0); // distinct chunks, so nothing dedups by accident
      writeSync(fd, chunk);
    }
    closeSync(fd);
  }
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox:local\nCOPY . /app\n');
  writeFileSync(join(root, '.dockerignore'), '.complete\n');
  writeFileSync(marker, '');
  return root;
}
