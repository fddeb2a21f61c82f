/**
 * The members of a `docker save` stream, looked up by path the way `docker load` sees them once
 * extracted: symlinks and hard links followed (Docker ≤ 24 saves a layer that appears twice as a
 * symlink `<v1 id>/layer.tar -> ../<first v1 id>/layer.tar`), JSON documents parsed on demand.
 * Lookups never leave the archive: a link that points outside is reported, not followed.
 */
import { problem, type ArchiveProblem } from './archive-problem.js';
import type { DigestedMember } from './member-digests.js';
import { hardlinkTarget, memberPath, symlinkTarget } from './member-path.js';

const MAX_LINK_HOPS = 16;

export type Lookup = { readonly ok: true; readonly member: DigestedMember; readonly path: string } | { readonly ok: false; readonly problem: ArchiveProblem };

export class SavedMembers {
  private readonly byPath = new Map<string, DigestedMember>();

  constructor(
    readonly members: readonly DigestedMember[],
    private readonly documents: ReadonlyMap<string, Buffer>,
  ) {
    for (const member of members) {
      const verdict = memberPath(member.name);
      if (verdict.ok) this.byPath.set(verdict.path, member);
    }
  }

  /** Every member whose normalised path satisfies `test`. */
  paths(test: (path: string) => boolean): string[] {
    return [...this.byPath.keys()].filter(test);
  }

  has(path: string): boolean {
    return this.byPath.has(path);
  }

  /** The regular file at `path` (normalised or as written in a manifest), following links inside the archive. */
  file(path: string, what: string): Lookup {
    const start = memberPath(path);
    if (!start.ok) return { ok: false, problem: problem('IMAGE_PATH_UNSAFE', `${what} ${JSON.stringify(path)} ${start.reason}`, { member: path }) };
    let current = start.path;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const member = this.byPath.get(current);
      if (member === undefined) {
        const via = current === start.path ? '' : ` (reached through a link from ${start.path})`;
        return { ok: false, problem: problem('IMAGE_MEMBER_MISSING', `${what} ${current} is not in the archive${via}`, { member: current }) };
      }
      if (member.type === 'file') return { ok: true, member, path: current };
      if (member.type === 'symlink') {
        const target = symlinkTarget(current, member.linkname);
        if (!target.ok) return { ok: false, problem: problem('IMAGE_LINK_UNSAFE', `${what} ${current} ${target.reason}`, { member: current }) };
        current = target.path;
        continue;
      }
      if (member.type === 'hardlink') {
        const target = hardlinkTarget(member.linkname);
        if (!target.ok) return { ok: false, problem: problem('IMAGE_LINK_UNSAFE', `${what} ${current} ${target.reason}`, { member: current }) };
        current = target.path;
        continue;
      }
      return { ok: false, problem: problem('IMAGE_MEMBER_TYPE', `${what} ${current} is a ${member.type}, not a file`, { member: current }) };
    }
    return { ok: false, problem: problem('IMAGE_LINK_LOOP', `${what} ${start.path}: more than ${MAX_LINK_HOPS} links in a row`, { member: start.path }) };
  }

  /** The JSON document at `path`, parsed. */
  json(path: string, what: string): { ok: true; value: unknown; member: DigestedMember; path: string } | { ok: false; problem: ArchiveProblem } {
    const found = this.file(path, what);
    if (!found.ok) return found;
    const content = this.documents.get(found.member.name);
    if (content === undefined) {
      return { ok: false, problem: problem('IMAGE_DOCUMENT_TOO_LARGE', `${what} ${found.path} (${found.member.size} bytes) is too large to be a ${what}`, { member: found.path }) };
    }
    try {
      return { ok: true, value: JSON.parse(content.toString('utf8')) as unknown, member: found.member, path: found.path };
    } catch (error) {
      return { ok: false, problem: problem('IMAGE_DOCUMENT_INVALID', `${what} ${found.path} is not valid JSON: ${(error as Error).message}`, { member: found.path }) };
    }
  }
}

/** The object at `value`, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asStringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}
