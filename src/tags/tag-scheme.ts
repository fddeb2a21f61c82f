/**
 * `--tag-scheme`: which kinds of tag a version produces. A preset name or a comma-separated list of
 * kinds; `--no-latest` then removes `latest` from whichever was chosen.
 */
import { UsageError } from '../errors.js';

/**
 *  version  the version itself         1.4.2, 2.0.0-rc.1
 *  minor    MAJOR.MINOR of a release   1.4
 *  major    MAJOR of a release         1   (never 0: 0.x promises no compatibility)
 *  latest   latest, for the newest release (or an unversioned build)
 *  sha      sha-<7 hex> of the git commit (sha-…-dirty for uncommitted changes)
 */
export const TAG_KINDS = ['version', 'minor', 'major', 'latest', 'sha'] as const;
export type TagKind = (typeof TAG_KINDS)[number];

export const TAG_SCHEMES: Readonly<Record<string, readonly TagKind[]>> = {
  semver: ['version', 'minor', 'major', 'latest', 'sha'],
  exact: ['version', 'latest', 'sha'],
  sha: ['sha'],
};

export const DEFAULT_TAG_SCHEME = 'semver';

export interface TagScheme {
  /** The preset name, or the list as given. */
  readonly name: string;
  readonly kinds: ReadonlySet<TagKind>;
  /** `--no-latest` was given (latest is then absent from `kinds`, and said to be left out). */
  readonly noLatest: boolean;
}

export function parseTagScheme(text: string | undefined, noLatest = false): TagScheme {
  const name = (text ?? DEFAULT_TAG_SCHEME).trim();
  let kinds: TagKind[];
  const preset = TAG_SCHEMES[name];
  if (preset !== undefined) {
    kinds = [...preset];
  } else {
    kinds = [];
    for (const part of name.split(',').map((p) => p.trim())) {
      if (!(TAG_KINDS as readonly string[]).includes(part)) {
        throw new UsageError('BAD_TAG_SCHEME', `--tag-scheme ${JSON.stringify(text)}: ${part === '' ? 'empty entry' : `unknown ${JSON.stringify(part)}`}`, {
          hint: `use a preset (${Object.keys(TAG_SCHEMES).join(', ')}) or a comma-separated list of ${TAG_KINDS.join(', ')}`,
        });
      }
      kinds.push(part as TagKind);
    }
  }
  if (noLatest) kinds = kinds.filter((kind) => kind !== 'latest');
  return { name, kinds: new Set(kinds), noLatest };
}
