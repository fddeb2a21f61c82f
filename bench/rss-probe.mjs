// Preloaded into a measured node process (node --import ./bench/rss-probe.mjs …): at exit, writes
// the process's peak resident set size in bytes to the file named by PACK_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const target = process.env.PACK_BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS * 1024));
  });
}
