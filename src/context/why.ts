/**
 * `pack plan --why PATH`: which .dockerignore line decided a path, in both walkers, in one line a
 * person can act on.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { goClean } from './dockerignore/go-path.js';
import { PatternMatcher } from './dockerignore/matcher.js';
import type { Pattern } from './dockerignore/pattern.js';
import { prepareContext, type PreparedContext } from './prepare.js';
import { judgePath, type WalkMode } from './walk.js';

export interface WhyVerdict {
  readonly mode: WalkMode;
  readonly sent: boolean;
  /** Sent only because Docker always sends the Dockerfile and .dockerignore. */
  readonly forced: boolean;
  /** The deciding line: `{ pattern, where }` with where = `file:line`, or `docker` for an added pattern. */
  readonly decidedBy: { readonly pattern: string; readonly where: string } | null;
  /** The excluded directory the walker did not enter, when that is why the path is absent. */
  readonly prunedAt: string | null;
}

export interface WhyResult {
  readonly path: string;
  readonly exists: boolean;
  readonly verdict: WhyVerdict;
  /** The same question for the other walker, so that differences are visible. */
  readonly otherWalker: WhyVerdict;
  /** The daemon deletes the Dockerfile and .dockerignore from the context when .dockerignore lists them. */
  readonly removedByDaemon: boolean;
  readonly explanation: string;
}

export function explainPath(context: PreparedContext, rawPath: string): WhyResult {
  const path = goClean(rawPath).replace(/^\/+/, '');
  let isDir = false;
  let exists = true;
  try {
    isDir = lstatSync(join(context.contextDir, path)).isDirectory();
  } catch {
    exists = false;
  }
  const judge = (prepared: PreparedContext): WhyVerdict => {
    const { mode } = prepared;
    const v = judgePath(path, { matcher: prepared.matcher, mode, isDir, forceInclude: prepared.forceInclude });
    const alwaysSent = !isDir && (path === '.dockerignore' || path === prepared.dockerfile.nameInContext);
    if (alwaysSent && v.sent) {
      // Sent because Docker always sends it? Ask the user's own lines, without what Docker adds.
      const own = judgePath(path, { matcher: new PatternMatcher(prepared.ignoreFile?.lines ?? []), mode, isDir });
      if (!own.sent) return { mode, sent: true, forced: true, decidedBy: describe(own.decidedBy), prunedAt: null };
    }
    return { mode, sent: v.sent, forced: false, decidedBy: describe(v.decidedBy), prunedAt: v.prunedAt ?? null };
  };
  const verdict = judge(context);
  const otherWalker = judge(prepareContext({ ...context.request, mode: context.mode === 'buildkit' ? 'legacy' : 'buildkit' }));

  let removedByDaemon = false;
  const alwaysSent = path === '.dockerignore' || path === context.dockerfile.nameInContext;
  if (alwaysSent && context.ignoreFile?.name === '.dockerignore') {
    removedByDaemon = new PatternMatcher(context.ignoreFile.lines).matchesOrParentMatches(path);
  }
  return { path, exists, verdict, otherWalker, removedByDaemon, explanation: explain(path, exists, verdict, otherWalker, removedByDaemon) };
}

function describe(pattern: Pattern | undefined): WhyVerdict['decidedBy'] {
  if (pattern === undefined) return null;
  return { pattern: pattern.text, where: pattern.source ? `${pattern.source.file}:${pattern.source.line}` : 'docker' };
}

function sentence(v: WhyVerdict): string {
  const line = v.decidedBy ? `${v.decidedBy.where} ${JSON.stringify(v.decidedBy.pattern)}` : '';
  if (v.prunedAt !== null) {
    return `not sent: directory ${v.prunedAt} is excluded${line ? ` by ${line}` : ''} and the ${v.mode} walker does not enter it`;
  }
  if (v.forced) {
    return `sent anyway: excluded${line ? ` by ${line}` : ''}, but Docker always sends the Dockerfile and .dockerignore`;
  }
  if (v.sent) {
    if (v.decidedBy === null) return 'sent: no .dockerignore line matches it';
    return v.decidedBy.pattern.startsWith('!') ? `sent: re-included by ${line}` : `sent: ${line}`;
  }
  return `not sent: excluded by ${line}`;
}

function explain(path: string, exists: boolean, verdict: WhyVerdict, other: WhyVerdict, removed: boolean): string {
  let text = `${path}: ${sentence(verdict)}`;
  if (removed) text += '; the daemon then removes it from the build context, so COPY never sees it';
  if (other.sent !== verdict.sent) text += ` (with the ${other.mode} walker: ${sentence(other)})`;
  if (!exists) text += ' [no such file in the context]';
  return text;
}
