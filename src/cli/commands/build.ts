/**
 * `pack build [DIR]`: reads what the process provides (env, cwd, home, TTY), then hands values to
 * src/build. Results go to stdout (the image ID, or the JSON result object); everything else to
 * stderr.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { BuildFlags } from '../../build/build-options.js';
import { parseBuildOptions } from '../../build/build-options.js';
import { readGitInfo } from '../../build/git-info.js';
import { imageLabels } from '../../build/labels.js';
import { runBuild, type BuildResult } from '../../build/run-build.js';
import { resolveEndpoint } from '../../engine/endpoint.js';
import { PackError } from '../../errors.js';
import { chooseReporter } from '../../progress/reporters/choose-reporter.js';
import type { CliIO } from '../io.js';

export async function buildCommand(dir: string | undefined, flags: BuildFlags, io: CliIO): Promise<void> {
  // Validation first: a bad flag fails before any file is read or the engine is asked anything.
  const options = parseBuildOptions(flags, io.env);
  const contextDir = resolve(io.cwd, dir ?? '.');
  const dockerfilePath = options.file !== undefined ? resolve(io.cwd, options.file) : undefined;
  const home = io.env['HOME'] !== undefined && io.env['HOME'] !== '' ? io.env['HOME'] : homedir();
  const sourceDateEpoch = options.sourceDateEpoch ?? epochFromEnv(io.env['SOURCE_DATE_EPOCH']);
  const effective = sourceDateEpoch !== undefined && options.sourceDateEpoch === undefined ? { ...options, sourceDateEpoch } : options;

  const reporter = chooseReporter({
    json: options.json,
    quiet: options.quiet,
    stdout: io.stdout,
    stderr: io.stderr,
    interactive: io.stderr.isTTY === true && io.env['TERM'] !== 'dumb',
  });
  try {
    const endpoint = await resolveEndpoint({
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.context !== undefined ? { context: options.context } : {}),
      env: io.env,
      homeDir: home,
    });
    // Loaded here, not at the top: dockerode is only needed once a build really runs.
    const { createEngine } = await import('../../engine/dockerode-engine.js');
    const engine = createEngine(endpoint);
    const git = await readGitInfo(contextDir, io.signal);
    const labels = imageLabels({
      ...(git !== undefined ? { git } : {}),
      createdSeconds: sourceDateEpoch ?? Math.floor(Date.now() / 1000),
      userLabels: options.labels,
    });
    const result = await runBuild(
      {
        contextDir,
        options: effective,
        ...(dockerfilePath !== undefined ? { dockerfilePath, dockerfileDisplay: relative(io.cwd, dockerfilePath) || dockerfilePath } : {}),
        ...(dockerfilePath === undefined && existsSync(join(contextDir, 'Dockerfile')) ? { dockerfileDisplay: relative(io.cwd, join(contextDir, 'Dockerfile')) } : {}),
        labels,
        cacheFile: statCacheFile(io.env, home, contextDir),
      },
      { engine, emit: reporter.emit, signal: io.signal },
    );
    reporter.close();
    writeResult(result, options.json, io);
  } catch (error) {
    if (options.json) {
      const packError = error instanceof PackError ? error : undefined;
      reporter.emit({ type: 'build.failed', code: packError?.code ?? 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
    }
    reporter.close();
    throw error;
  }
}

function writeResult(result: BuildResult, json: boolean, io: CliIO): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    return;
  }
  // The image ID alone on stdout, like `docker build -q`, so that `id=$(pack build .)` works.
  io.stdout.write(`${result.imageId}\n`);
}

/** `$XDG_CACHE_HOME/pack` or `~/.cache/pack`; one stat cache file per context directory. */
function statCacheFile(env: CliIO['env'], home: string, contextDir: string): string {
  const xdg = env['XDG_CACHE_HOME'];
  const root = xdg !== undefined && xdg !== '' ? join(xdg, 'pack') : join(home, '.cache', 'pack');
  return join(root, 'stat-cache', `${createHash('sha256').update(contextDir).digest('hex').slice(0, 32)}.json`);
}

/** SOURCE_DATE_EPOCH from the environment, when it is a plain number (the reproducible-builds spec says to ignore it otherwise). */
function epochFromEnv(value: string | undefined): number | undefined {
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}
