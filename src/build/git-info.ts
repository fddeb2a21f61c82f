/**
 * What the OCI source/revision labels say, read from git when the project is a git work tree.
 * Not a repository, or no git installed: nothing, silently (the labels are then left out).
 */
import { execFile } from 'node:child_process';

export interface GitInfo {
  readonly commit: string;
  /** `origin`'s URL with any user:password@ removed, if there is an origin. */
  readonly remote?: string;
  /** Tracked files differ from HEAD. */
  readonly dirty: boolean;
}

function git(cwd: string, args: string[], signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', cwd, ...args], { timeout: 10_000, ...(signal ? { signal } : {}) }, (error, stdout) => {
      resolve(error ? undefined : stdout.trim());
    });
  });
}

export async function readGitInfo(dir: string, signal?: AbortSignal): Promise<GitInfo | undefined> {
  const commit = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'], signal);
  if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const [remote, status] = await Promise.all([
    git(dir, ['config', '--get', 'remote.origin.url'], signal),
    git(dir, ['status', '--porcelain', '--untracked-files=no'], signal),
  ]);
  return {
    commit,
    ...(remote !== undefined && remote !== '' ? { remote: withoutCredentials(remote) } : {}),
    dirty: status !== undefined && status !== '',
  };
}

/** Tokens in remote URLs (https://user:ghp_…@host/…) must never end up in an image label. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
