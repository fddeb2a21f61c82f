/**
 * The default SOURCE_DATE_EPOCH of `pack archive`: the committer time of HEAD, so that archiving
 * the same commit again (a fresh clone, another machine, years later) clamps every file time to
 * the same value and packs a byte-identical context tar (the reproducible-builds.org convention).
 * Not a git work tree, or no git: undefined.
 */
import { execFile } from 'node:child_process';

export function gitCommitTime(dir: string, signal?: AbortSignal): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, 'log', '-1', '--format=%ct', 'HEAD'], { timeout: 10_000, ...(signal ? { signal } : {}) }, (error, stdout) => {
      const text = stdout.trim();
      resolve(error === null && /^[0-9]+$/.test(text) ? Number(text) : undefined);
    });
  });
}
