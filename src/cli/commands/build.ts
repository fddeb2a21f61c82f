/**
 * `pack build [DIR]`: reads what the process provides (env, cwd, home, TTY), then hands values to
 * src/build. Results go to stdout (the image ID, or the JSON result object); everything else to
 * stderr.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { BuildFlags } from '../../build/build-options.js';
import { parseBuildOptions } from '../../build/build-options.js';
import { readGitInfo } from '../../build/git-info.js';
import { imageLabels } from '../../build/labels.js';
import { runBuild, type BuildRequest, type BuildResult } from '../../build/run-build.js';
import { diskProjectFiles } from '../../detect/project-files.js';
import { createProjectPlan } from '../../plan/project-plan.js';
import { pickPlanFlags, type PlanFlags } from '../../plan/settings.js';
import type { Emit } from '../../progress/events.js';
import { connectEngine } from '../engine-connection.js';
import type { CliIO } from '../io.js';
import { commandReporter, emitFailure } from '../reporter.js';
import type { PushResult } from '../../registry/push.js';
import { buildCredentials, buildTagSet, formatPushed, parseBuildPublishing, pushBuiltTags, type PublishFlags } from './push.js';
import type { TagFlags } from '../../tags/project-tags.js';

export async function buildCommand(dir: string | undefined, flags: BuildFlags & PlanFlags & TagFlags & PublishFlags & { push?: boolean }, io: CliIO): Promise<void> {
  // Validation first: a bad flag fails before any file is read or the engine is asked anything.
  const options = parseBuildOptions(flags, io.env);
  const publishing = parseBuildPublishing(flags, options.tags);
  const contextDir = resolve(io.cwd, dir ?? '.');
  const dockerfilePath = options.file !== undefined ? resolve(io.cwd, options.file) : undefined;
  const sourceDateEpoch = options.sourceDateEpoch ?? epochFromEnv(io.env['SOURCE_DATE_EPOCH']);
  const effective = sourceDateEpoch !== undefined && options.sourceDateEpoch === undefined ? { ...options, sourceDateEpoch } : options;

  const reporter = commandReporter(io, { json: options.json, quiet: options.quiet });
  try {
    const engine = await connectEngine(options, io);
    const git = await readGitInfo(contextDir, io.signal);
    // --repository: the project's tag set joins the -t tags; --version (or the derived one) labels the image.
    const tagSet = await buildTagSet(publishing, contextDir, reporter.emit, io.signal);
    const tags = [...effective.tags, ...tagSet.tags.filter((t) => !effective.tags.some((e) => e.repository === t.repository && e.tag === t.tag))];
    const credentials = await buildCredentials(publishing, tags, io, reporter.emit);
    const labels = imageLabels({
      ...(git !== undefined ? { git } : {}),
      ...(tagSet.version !== undefined ? { version: tagSet.version } : {}),
      createdSeconds: sourceDateEpoch ?? Math.floor(Date.now() / 1000),
      userLabels: options.labels,
    });
    const result = await runBuild(
      {
        contextDir,
        options: { ...effective, tags },
        ...chooseDockerfile(contextDir, dockerfilePath, pickPlanFlags(flags as Readonly<Record<string, unknown>>), io.cwd, reporter.emit),
        labels,
        cacheFile: statCacheFile(io.env, io.homeDir, contextDir),
        registryAuth: credentials.registryAuth,
      },
      { engine, emit: reporter.emit, signal: io.signal },
    );
    const pushed = await pushBuiltTags(publishing, tags, credentials.resolver, engine, reporter.emit, io.signal);
    reporter.close();
    writeResult(result, options.json, io, pushed);
  } catch (error) {
    emitFailure(reporter, options.json, error);
    reporter.close();
    throw error;
  }
}

/**
 * `-f` when given; else the project's own Dockerfile (the context engine finds `Dockerfile` or
 * `dockerfile`, as the docker CLI does); else the one pack generates from the detected plan, sent
 * in memory, with the OCI label build args its template declares. The plan overrides (--base,
 * --cmd, --port, …) only apply to a generated Dockerfile.
 */
export function chooseDockerfile(contextDir: string, dockerfilePath: string | undefined, flags: PlanFlags, cwd: string, emit: Emit): Partial<BuildRequest> {
  if (dockerfilePath !== undefined) return { dockerfilePath, dockerfileDisplay: relative(cwd, dockerfilePath) || dockerfilePath };
  for (const name of ['Dockerfile', 'dockerfile']) {
    if (existsSync(join(contextDir, name))) return { dockerfileDisplay: relative(cwd, join(contextDir, name)) || name };
  }
  if (!existsSync(contextDir)) return {};
  const { plan } = createProjectPlan(diskProjectFiles(contextDir), { flags });
  for (const warning of plan.warnings) emit({ type: 'warning', code: warning.code, message: warning.message, ...(warning.file ? { path: warning.file } : {}) });
  if (plan.dockerfile.source !== 'generated') return {};
  emit({ type: 'warning', code: 'build.generated-dockerfile', message: `no Dockerfile: using the one pack generates for this ${plan.ecosystem} project (see it with \`pack plan\`, write it with \`pack init\`)` });
  return {
    dockerfileContent: Buffer.from(plan.dockerfile.text, 'utf8'),
    dockerfileDisplay: '(generated Dockerfile)',
    labelArgs: plan.build.labelArgs,
  };
}

function writeResult(result: BuildResult, json: boolean, io: CliIO, pushed?: PushResult): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ type: 'result', ...result, ...(pushed !== undefined ? { push: pushed } : {}) })}\n`);
    return;
  }
  // The image ID alone on stdout, like `docker build -q`, so that `id=$(pack build .)` works;
  // with --push, one `NAME:TAG NAME@sha256:…` line per pushed tag follows it.
  io.stdout.write(`${result.imageId}\n`);
  if (pushed !== undefined) io.stdout.write(formatPushed(pushed));
}

/** `$XDG_CACHE_HOME/pack` or `~/.cache/pack`; one stat cache file per context directory. */
export function statCacheFile(env: CliIO['env'], home: string, contextDir: string): string {
  const xdg = env['XDG_CACHE_HOME'];
  const root = xdg !== undefined && xdg !== '' ? join(xdg, 'pack') : join(home, '.cache', 'pack');
  return join(root, 'stat-cache', `${createHash('sha256').update(contextDir).digest('hex').slice(0, 32)}.json`);
}

/** SOURCE_DATE_EPOCH from the environment, when it is a plain number (the reproducible-builds spec says to ignore it otherwise). */
export function epochFromEnv(value: string | undefined): number | undefined {
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}
