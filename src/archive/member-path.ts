/**
 * Whether a tar member's name and link target stay inside the directory the archive is read into.
 * An archive pack reads may come from anywhere; these rules are what keeps `pack verify` and
 * `pack restore --extract` from being turned against the machine (the "tar slip" family):
 *  - names are relative: no leading `/`, no drive letter or backslash tricks, no NUL;
 *  - no `..` component anywhere, even one that would come back inside (`a/../b`): tools disagree
 *    on how to resolve those, so they are refused rather than interpreted;
 *  - a symlink's target, resolved against the symlink's own directory, stays inside the root
 *    (checked here for archive members; a build context may hold links that point anywhere, since
 *    they are the project's content, and extraction then never writes through them);
 *  - a hard link names another member by its path from the root, which must itself be safe.
 */
import { posix } from 'node:path';

export type PathVerdict = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/**
 * The member's path normalised (`./` prefix and trailing `/` dropped), or why it is unsafe.
 * `.` alone (the root itself, which GNU tar writes as `./`) normalises to ''.
 */
export function memberPath(name: string): PathVerdict {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  if (name.startsWith('/')) return { ok: false, reason: 'is an absolute path' };
  if (/^[A-Za-z]:/.test(name) || name.includes('\\')) return { ok: false, reason: 'contains a drive letter or a backslash' };
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  const kept: string[] = [];
  for (const part of trimmed === '' ? [] : trimmed.split('/')) {
    if (part === '.') continue;
    if (part === '..') return { ok: false, reason: 'has a ".." component' };
    if (part === '') return { ok: false, reason: 'has an empty component ("//")' };
    kept.push(part);
  }
  return { ok: true, path: kept.join('/') };
}

/** Where a symlink at `path` (normalised) pointing at `target` leads, or why it leaves the root. */
export function symlinkTarget(path: string, target: string): PathVerdict {
  if (target === '') return { ok: false, reason: 'has an empty target' };
  if (target.includes('\0')) return { ok: false, reason: 'has a NUL byte in its target' };
  if (target.startsWith('/')) return { ok: false, reason: `points at the absolute path ${JSON.stringify(target)}` };
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../')) return { ok: false, reason: `points outside the archive (${JSON.stringify(target)})` };
  return { ok: true, path: resolved === '.' ? '' : resolved.replace(/\/$/, '') };
}

/** A hard link's target: a path from the archive root, held to the same rules as member names. */
export function hardlinkTarget(target: string): PathVerdict {
  const verdict = memberPath(target);
  if (!verdict.ok) return { ok: false, reason: `links to a name that ${verdict.reason}` };
  if (verdict.path === '') return { ok: false, reason: 'links to the archive root' };
  return verdict;
}
