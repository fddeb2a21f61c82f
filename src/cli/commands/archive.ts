/**
 * `pack archive [DIR] -o NAME.tar[.gz]`: what the process provides (env, cwd, clock, git) read
 * here and handed to src/archive as values. The build is prepared exactly as `pack build`
 * prepares it (same flag parsing, Dockerfile choice, labels, stat cache); SOURCE_DATE_EPOCH
 * defaults to the git commit time so that archiving the same commit packs the same context bytes.
 * stdout: the archive's path (or the JSON result); everything else on stderr.
 */
import { resolve } from 'node:path';
import type { ArchiveManifest } from '../../archive/archive-manifest.js';
import type { ArchiveResult } from '../../archive/run-archive.js';
import { gitCommitTime } from '../../archive/source-date.js';
import type { BuildFlags } from '../../build/build-options.js';
import { parseBuildOptions } from '../../build/build-options.js';
import { readGitInfo } from '../../build/git-info.js';
import { imageLabels } from '../../build/labels.js';
import { diskProjectFiles } from '../../detect/project-files.js';
import { UsageError } from '../../errors.js';
import { createProjectPlan } from '../../plan/project-plan.js';
import { pickPlanFlags, type PlanFlags } from '../../plan/settings.js';
import { parseImageReference } from '../../plan/image-reference.js';
import { PACK_VERSION } from '../../version.js';
import { connectEngine } from '../engine-connection.js';
import type { CliIO } from '../io.js';
import { commandReporter, emitFailure } from '../reporter.js';
import { chooseDockerfile, epochFromEnv, statCacheFile } from './build.js';
import { baseImageCredentials } from './push.js';

export interface ArchiveFlags extends BuildFlags, PlanFlags {
  readonly output?: string;
  readonly image?: string;
  readonly gzip?: boolean;
}

export async function archiveCommand(dir: string | undefined, flags: ArchiveFlags, io: CliIO): Promise<void> {
  // Validation first: nothing is read, built or written when a flag is wrong.
  const options = parseBuildOptions(flags, io.env);
  if (flags.output === undefined || flags.output === '') {
    throw new UsageError('MISSING_OUTPUT', 'pack archive needs -o/--output FILE', { hint: 'e.g. pack archive . -o my-app.tar.gz (.gz: gzip-compressed)' });
  }
  if (flags.output === '-') {
    throw new UsageError('BAD_OUTPUT', '-o/--output -: pack archive writes a file (it appears only when complete), not stdout', { hint: 'name a file, e.g. -o my-app.tar' });
  }
  if (flags.image !== undefined && !/^(sha256:)?[0-9a-f]{12,64}$/.test(flags.image)) parseImageReference(flags.image, `--image ${JSON.stringify(flags.image)}`);
  const output = resolve(io.cwd, flags.output);
  const gzip = flags.gzip === true || /\.(tgz|gz)$/i.test(output);
  const contextDir = resolve(io.cwd, dir ?? '.');
  const dockerfilePath = options.file !== undefined ? resolve(io.cwd, options.file) : undefined;

  const reporter = commandReporter(io, { json: options.json, quiet: options.quiet });
  try {
    const git = await readGitInfo(contextDir, io.signal);
    // SOURCE_DATE_EPOCH: the flag, else the environment, else the commit time of HEAD.
    const fromEnv = epochFromEnv(io.env['SOURCE_DATE_EPOCH']);
    const fromGit = options.sourceDateEpoch === undefined && fromEnv === undefined ? await gitCommitTime(contextDir, io.signal) : undefined;
    const sourceDateEpoch = options.sourceDateEpoch ?? fromEnv ?? fromGit;
    const epochFrom = options.sourceDateEpoch !== undefined ? 'flag' : fromEnv !== undefined ? 'environment' : fromGit !== undefined ? 'git-commit' : undefined;
    const effective = sourceDateEpoch !== undefined ? { ...options, sourceDateEpoch } : options;
    const labels = imageLabels({
      ...(git !== undefined ? { git } : {}),
      createdSeconds: sourceDateEpoch ?? Math.floor(Date.now() / 1000),
      userLabels: options.labels,
    });
    const planFlags = pickPlanFlags(flags as Readonly<Record<string, unknown>>);
    const engine = await connectEngine(options, io);
    const { runArchive } = await import('../../archive/run-archive.js');
    const result = await runArchive(
      {
        output,
        gzip,
        build: {
          contextDir,
          options: effective,
          ...chooseDockerfile(contextDir, dockerfilePath, planFlags, io.cwd, reporter.emit),
          labels,
          cacheFile: statCacheFile(io.env, io.homeDir, contextDir),
          // Private base images are pulled with the user's docker credentials, as pack build does.
          ...(flags.image === undefined ? { registryAuth: await baseImageCredentials(io, reporter.emit) } : {}),
        },
        ...(flags.image !== undefined ? { image: flags.image } : {}),
        source: { git, sourceDateEpochFrom: epochFrom },
        plan: () => detectedPlan(contextDir, planFlags),
        packVersion: PACK_VERSION,
      },
      { engine, emit: reporter.emit, signal: io.signal },
    );
    reporter.close();
    writeResult(result, options.json, io);
  } catch (error) {
    emitFailure(reporter, options.json, error);
    reporter.close();
    throw error;
  }
}

/** The plan `pack plan` would show, for the manifest; null when detection cannot decide (an ambiguity is not an archive's problem). */
function detectedPlan(contextDir: string, flags: PlanFlags): ArchiveManifest['plan'] {
  try {
    return createProjectPlan(diskProjectFiles(contextDir), { flags }).plan;
  } catch (error) {
    if (error instanceof UsageError) return null;
    throw error;
  }
}

function writeResult(result: ArchiveResult, json: boolean, io: CliIO): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    return;
  }
  io.stdout.write(`${result.output}\n`);
}
