/**
 * Flags shared by every command that packs a context (context, plan, build, archive), parsed and
 * validated before any I/O. The CLI is the only layer that reads cwd and the environment.
 */
import { resolve } from 'node:path';
import type { ContextRequest } from '../context/prepare.js';
import type { WalkMode } from '../context/walk.js';
import { UsageError } from '../errors.js';

export interface ContextFlags {
  file?: string;
  dockerignoreMode?: string;
  sourceDateEpoch?: string;
}

export interface ContextChoice {
  readonly request: ContextRequest;
  /** Why this walker: the flag, DOCKER_BUILDKIT=0, or the default. */
  readonly modeReason: string;
}

export function parseContextFlags(dir: string | undefined, flags: ContextFlags, cwd: string, env: NodeJS.ProcessEnv): ContextChoice {
  const { mode, reason } = parseMode(flags.dockerignoreMode, env);
  const sourceDateEpoch = parseSourceDateEpoch(flags.sourceDateEpoch, env);
  const request: ContextRequest = {
    contextDir: resolve(cwd, dir ?? '.'),
    mode,
    // -f is relative to the current directory, as with `docker build -f`.
    ...(flags.file !== undefined ? { dockerfile: resolve(cwd, flags.file) } : {}),
    ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
  };
  return { request, modeReason: reason };
}

function parseMode(flag: string | undefined, env: NodeJS.ProcessEnv): { mode: WalkMode; reason: string } {
  if (flag !== undefined) {
    if (flag !== 'buildkit' && flag !== 'legacy') {
      throw new UsageError('BAD_FLAG', `--dockerignore-mode: expected buildkit or legacy, got ${JSON.stringify(flag)}`, {
        hint: 'buildkit follows today’s docker build; legacy reproduces DOCKER_BUILDKIT=0',
      });
    }
    return { mode: flag, reason: '--dockerignore-mode' };
  }
  // Someone who builds with the legacy builder expects its context semantics.
  if (env['DOCKER_BUILDKIT'] === '0') return { mode: 'legacy', reason: 'DOCKER_BUILDKIT=0' };
  return { mode: 'buildkit', reason: 'default (as docker build with BuildKit)' };
}

/** `--source-date-epoch N`, else SOURCE_DATE_EPOCH; whole non-negative seconds. */
export function parseSourceDateEpoch(flag: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  const [value, name] = flag !== undefined ? [flag, '--source-date-epoch'] : [env['SOURCE_DATE_EPOCH'], 'SOURCE_DATE_EPOCH'];
  if (value === undefined || (flag === undefined && value === '')) return undefined;
  if (!/^\d{1,12}$/.test(value)) {
    throw new UsageError('BAD_FLAG', `${name}: expected whole seconds since 1970 (e.g. 1700000000), got ${JSON.stringify(value)}`, {
      hint: 'for the last commit time: --source-date-epoch $(git log -1 --format=%ct)',
    });
  }
  return Number(value);
}
