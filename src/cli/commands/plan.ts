/**
 * `pack plan [DIR]`: what a build would do, before it does it. Today: the context summary and
 * `--why PATH`. Results go to stdout (text, or one JSON document with --json).
 */
import { buildContextReport } from '../../context/report.js';
import { prepareContext, type ContextRequest, type PreparedContext } from '../../context/prepare.js';
import { PackError } from '../../errors.js';
import { explainPath } from '../../context/why.js';
import { parseContextFlags, type ContextFlags } from '../context-options.js';
import { formatContextReport, formatWhy } from '../format/context-report.js';
import type { CliIO } from '../io.js';

export interface PlanFlags extends ContextFlags {
  json?: boolean;
  why?: string[];
}

export const PLAN_SCHEMA_VERSION = 1;

export async function runPlan(dir: string | undefined, flags: PlanFlags, io: CliIO): Promise<void> {
  const { request, modeReason } = parseContextFlags(dir, flags, io.cwd, io.env);
  const context = prepareWithoutDockerfile(request);
  const why = (flags.why ?? []).map((path) => explainPath(context, path));
  if (why.length > 0 && !flags.json) {
    io.stdout.write(formatWhy(why));
    return;
  }
  const report = buildContextReport(context);
  if (flags.json) {
    const document = {
      schemaVersion: PLAN_SCHEMA_VERSION,
      contextDir: context.contextDir,
      context: { ...report, modeReason },
      ...(why.length > 0 ? { why } : {}),
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  io.stdout.write(formatContextReport(report, context.contextDir, modeReason));
}

/**
 * A project without a Dockerfile still has a context to show: pack generates the Dockerfile at
 * build time and injects it, so plan the context as if an (empty) generated one were injected.
 */
function prepareWithoutDockerfile(request: ContextRequest): PreparedContext {
  try {
    return prepareContext(request);
  } catch (error) {
    if (error instanceof PackError && error.code === 'DOCKERFILE_NOT_FOUND' && request.dockerfile === undefined) {
      return prepareContext({ ...request, dockerfileContent: Buffer.alloc(0) });
    }
    throw error;
  }
}
