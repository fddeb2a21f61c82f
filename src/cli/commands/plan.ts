/**
 * `pack plan [DIR]`: what a build would do, before it does it: the context summary, `--why PATH`,
 * and the project plan (what was detected, every decision with its reason, the Dockerfile `pack
 * build` would use; under "project" with --json). Results go to stdout (text, or one JSON document).
 */
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { buildContextReport } from '../../context/report.js';
import { diskProjectFiles } from '../../detect/project-files.js';
import { formatProjectPlan } from '../../plan/format-plan.js';
import { createProjectPlan, type ProjectPlan } from '../../plan/project-plan.js';
import { pickPlanFlags, type PlanFlags as ProjectFlags } from '../../plan/settings.js';
import { prepareContext, type ContextRequest, type PreparedContext } from '../../context/prepare.js';
import { PackError } from '../../errors.js';
import { formatProjectTags, parseTagOptions, readProjectTags, tagsDocument, type TagFlags } from '../../tags/project-tags.js';
import { explainPath } from '../../context/why.js';
import { parseContextFlags, type ContextFlags } from '../context-options.js';
import { formatContextReport, formatWhy } from '../format/context-report.js';
import { chooseEndpoint, type EngineFlags } from '../engine-connection.js';
import type { CliIO } from '../io.js';

export interface PlanFlags extends ContextFlags, ProjectFlags, TagFlags, EngineFlags {
  json?: boolean;
  why?: string[];
}

export const PLAN_SCHEMA_VERSION = 1;

export async function runPlan(dir: string | undefined, flags: PlanFlags, io: CliIO): Promise<void> {
  const { request, modeReason } = parseContextFlags(dir, flags, io.cwd, io.env);
  const tagOptions = parseTagOptions(flags);
  const whyOnly = (flags.why ?? []).length > 0 && !flags.json;
  // The project plan (detection, overrides, the Dockerfile pack build would use); --why alone skips it.
  const project = whyOnly ? undefined : planProjectFor(request.contextDir, request.dockerfile, flags);
  const context =
    project?.dockerfile.source === 'generated' && request.dockerfile === undefined
      ? prepareContext({ ...request, dockerfileContent: Buffer.from(project.dockerfile.text, 'utf8') })
      : prepareWithoutDockerfile(request);
  const why = (flags.why ?? []).map((path) => explainPath(context, path));
  if (whyOnly) {
    io.stdout.write(formatWhy(why));
    return;
  }
  const report = buildContextReport(context);
  // The version and the tag set a build with --repository (or a push) would apply.
  const tags = await readProjectTags(request.contextDir, tagOptions, io.signal);
  // Which engine a build would use and why; resolved, not contacted.
  const endpoint = await chooseEndpoint(flags, io);
  const engine = { url: endpoint.url, source: endpoint.source, context: endpoint.contextName, reason: endpoint.reason };
  if (flags.json) {
    const document = {
      schemaVersion: PLAN_SCHEMA_VERSION,
      contextDir: context.contextDir,
      context: { ...report, modeReason },
      ...(project ? { project } : {}),
      tags: tagsDocument(tags),
      engine,
      ...(why.length > 0 ? { why } : {}),
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  io.stdout.write(formatContextReport(report, context.contextDir, modeReason));
  if (project) io.stdout.write(`\n${formatProjectPlan(project)}`);
  io.stdout.write(`\n${formatProjectTags(tags)}`);
  io.stdout.write(`\nEngine      ${engine.url} — ${engine.reason}\n`);
  for (const warning of tags.set.warnings) io.stderr.write(`warning: ${warning.message}\n`);
}

/** Detection and planning for the context directory; `-f` names the project's own Dockerfile. */
function planProjectFor(contextDir: string, dockerfile: string | undefined, flags: ProjectFlags): ProjectPlan {
  let own: { path: string; text: string } | undefined;
  if (dockerfile !== undefined) {
    const inside = relative(contextDir, dockerfile);
    const path = inside.startsWith('..') ? dockerfile : inside.split(sep).join('/');
    // A missing -f file is reported by the context preparation with its own message.
    try {
      own = { path, text: readFileSync(dockerfile, 'utf8') };
    } catch {
      own = undefined;
    }
  }
  return createProjectPlan(diskProjectFiles(contextDir), { flags: pickPlanFlags(flags as Record<string, unknown>), ...(own ? { dockerfile: own } : {}) }).plan;
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
