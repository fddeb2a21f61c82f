/**
 * `pack build`, deciding and doing: validate the Dockerfile (nothing sent when it is wrong), check
 * that the engine answers, compute the build digest (cheap on a rebuild: the stat cache), skip
 * when an image with that digest exists (only applying the tags), else stream the context tar
 * straight into the engine's /build and report each step.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ContextEntry } from '../context/entry.js';
import { prepareContext, type ContextRequest } from '../context/prepare.js';
import { tarContext } from '../context/tar-encoder.js';
import type { Engine } from '../engine/engine.js';
import { BuildStepError } from '../engine/engine-errors.js';
import type { RegistryAuthResolver } from '../engine/registry-config.js';
import { PackError, UsageError, errnoCode } from '../errors.js';
import { splitDockerDomain } from '../registry/repository-name.js';
import type { Emit, PackEvent } from '../progress/events.js';
import { BUILD_DIGEST_LABEL, buildDigest, cachedContextDigest } from './build-digest.js';
import { formatImageTag, type BuildOptions } from './build-options.js';
import { checkTarget, readDockerfileFacts, type DockerfileFacts } from './dockerfile-facts.js';
import { digestedLabels } from './labels.js';
import { assertValidDockerfile } from '../dockerfile/validate.js';

export interface BuildRequest {
  /** Absolute path of the build context (the project folder). */
  readonly contextDir: string;
  readonly options: BuildOptions;
  /** Absolute path of the Dockerfile to use; undefined with `dockerfileContent` or for the context's own. */
  readonly dockerfilePath?: string;
  /** A generated Dockerfile (not on disk). */
  readonly dockerfileContent?: Buffer;
  /** How to name the Dockerfile in messages, e.g. `Dockerfile` or `(generated)`. */
  readonly dockerfileDisplay?: string;
  /** All labels for the image (OCI + user), see labels.ts. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Build args a generated Dockerfile declares to receive label values (ARG OCI_CREATED → LABEL …),
   * filled from `labels`. They repeat labels, which the digest already covers, so the digest leaves
   * them out (the creation time would otherwise make every build look new).
   */
  readonly labelArgs?: readonly { readonly arg: string; readonly label: string }[];
  /** The stat cache file; undefined hashes every file each time. */
  readonly cacheFile?: string;
  /** The credential resolver of the push issue, when it exists (X-Registry-Config). */
  readonly registryAuth?: RegistryAuthResolver;
}

export interface BuildDeps {
  readonly engine: Engine;
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

export interface BuildResult {
  readonly imageId: string;
  readonly tags: readonly string[];
  /** True when an image with the same build digest existed and nothing was sent. */
  readonly skipped: boolean;
  /** pack's digest of the context: entry list + content hashes (mtimes left out, as Docker's cache does). */
  readonly contextDigest: string;
  /** The build digest label value; absent when it could not be known (missing base image, --pull). */
  readonly buildDigest?: string;
  readonly steps: number;
  readonly cachedSteps: number;
  readonly engine: string;
  readonly durations: { readonly prepareMs: number; readonly buildMs: number; readonly totalMs: number };
}

export async function runBuild(request: BuildRequest, deps: BuildDeps): Promise<BuildResult> {
  const { engine, signal } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const { options } = request;

  const prepared = prepareContext(contextRequestOf(request));
  const dockerfilePath = prepared.dockerfile.path;
  const display = request.dockerfileDisplay ?? (dockerfilePath !== undefined ? relative(request.contextDir, dockerfilePath) || dockerfilePath : '(generated)');
  const text = request.dockerfileContent?.toString('utf8') ?? (await readDockerfileText(dockerfilePath as string, display));
  // An error stops here with DISPLAY:LINE and nothing sent; warnings (BuildKit-only syntax…) are shown.
  for (const problem of assertValidDockerfile(text, display)) {
    deps.emit({ type: 'warning', code: problem.code, message: `${display}:${problem.line}: ${problem.message}`, path: display });
  }
  const facts = readDockerfileFacts(text, options.buildArgs);
  checkTarget(facts, options.target, display);

  // Unreachable engine → exit 3 now, before any file is hashed.
  await engine.info(signal);

  const tags = options.tags.map(formatImageTag);
  const entries: ContextEntry[] = [...prepared.entries({ ...(signal ? { signal } : {}), emit: deps.emit })];
  const ctxDigest = await cachedContextDigest(entries, request.cacheFile, now, signal);

  const bases = options.pull ? undefined : await baseImageIds(engine, facts, options.target, signal);
  const digest =
    bases === undefined
      ? undefined
      : buildDigest(ctxDigest, {
          dockerfileName: prepared.dockerfile.nameInContext,
          buildArgs: options.buildArgs,
          labels: digestedLabels(request.labels, options.labels),
          ...(options.target !== undefined ? { target: options.target } : {}),
          ...(options.platform !== undefined ? { platform: options.platform } : {}),
          network: options.network,
          baseImageIds: bases,
        });

  if (digest !== undefined && !options.force && !options.noCache) {
    const [existing] = await engine.findImagesByLabel(BUILD_DIGEST_LABEL, digest, signal);
    if (existing !== undefined) {
      for (const reference of options.tags) await engine.tagImage(existing, reference.repository, reference.tag, signal);
      deps.emit({ type: 'build.skipped', imageId: existing, digest, tags });
      const total = now() - started;
      return {
        imageId: existing,
        tags,
        skipped: true,
        contextDigest: ctxDigest,
        buildDigest: digest,
        steps: 0,
        cachedSteps: 0,
        engine: engine.endpoint.url,
        durations: { prepareMs: total, buildMs: 0, totalMs: total },
      };
    }
  }

  const buildStarted = now();
  const emit = (event: PackEvent): void => {
    if (event.type === 'build.step') {
      const line = facts.instructions[event.index - 1]?.line;
      deps.emit(line !== undefined ? { ...event, line } : event);
      return;
    }
    deps.emit(event);
  };
  // A generated Dockerfile sets the labels its build args carry (LABEL …="${ARG}"); passing them
  // in the query as well would add one more LABEL step each to the classic builder's run.
  const setByDockerfile = new Set((request.labelArgs ?? []).map(({ label }) => label));
  const labels = Object.fromEntries(
    Object.entries(digest !== undefined ? { ...request.labels, [BUILD_DIGEST_LABEL]: digest } : request.labels).filter(([key]) => !setByDockerfile.has(key)),
  );
  const registryConfig = request.registryAuth
    ? await request.registryAuth([...new Set(facts.stages.filter((stage) => !stage.fromStage).map((stage) => registryOf(stage.from)))], signal)
    : undefined;
  deps.emit({
    type: 'build.start',
    engine: engine.endpoint.url,
    engineReason: engine.endpoint.reason,
    engineSource: engine.endpoint.source,
    dockerfile: display,
    tags,
    // The classic builder appends one LABEL step per label it is given.
    steps: stepCount(facts, options.target) + Object.keys(labels).length,
  });
  const context = tarContext(entries, {
    ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
    ...(signal ? { signal } : {}),
    emit,
    // The content digest above already identifies the context; hashing the archive as well would
    // take a core away from the engine while it unpacks (about 1 s per GB on two cores).
    digest: false,
  });
  let result;
  try {
    result = await engine.build(
      {
        context,
        dockerfile: prepared.dockerfile.nameInContext,
        tags,
        buildArgs: { ...labelArgValues(request), ...options.buildArgs },
        labels,
        ...(options.target !== undefined ? { target: options.target } : {}),
        ...(options.platform !== undefined ? { platform: options.platform } : {}),
        noCache: options.noCache,
        pull: options.pull,
        network: options.network,
        quiet: options.quiet && !options.json,
        ...(registryConfig !== undefined && Object.keys(registryConfig).length > 0 ? { registryConfig } : {}),
      },
      { ...(signal ? { signal } : {}), emit },
    );
  } catch (error) {
    throw error instanceof BuildStepError ? stepFailure(error, facts, display) : error;
  }
  const end = now();
  deps.emit({ type: 'build.done', imageId: result.imageId, tags, durationMs: end - started });
  return {
    imageId: result.imageId,
    tags,
    skipped: false,
    contextDigest: ctxDigest,
    ...(digest !== undefined ? { buildDigest: digest } : {}),
    steps: result.steps,
    cachedSteps: result.cachedSteps,
    engine: engine.endpoint.url,
    durations: { prepareMs: buildStarted - started, buildMs: end - buildStarted, totalMs: end - started },
  };
}

/**
 * The image IDs of every FROM that is not an earlier stage, for stages up to the target. Undefined
 * when one is not present locally or its name still holds an unresolved ${ARG}: the engine will
 * have to pull, so the result cannot be known in advance.
 */
async function baseImageIds(engine: Engine, facts: DockerfileFacts, target: string | undefined, signal?: AbortSignal): Promise<string[] | undefined> {
  const targetIndex = target === undefined ? -1 : facts.stages.findIndex((stage) => stage.name?.toLowerCase() === target.toLowerCase());
  const stages = targetIndex === -1 ? facts.stages : facts.stages.slice(0, targetIndex + 1);
  const ids: string[] = [];
  for (const stage of stages) {
    if (stage.fromStage) continue;
    if (stage.from.includes('$')) return undefined;
    const image = await engine.inspectImage(stage.from, signal);
    if (image === undefined) return undefined;
    ids.push(image.id);
  }
  return ids;
}

function stepCount(facts: DockerfileFacts, target: string | undefined): number {
  if (target === undefined) return facts.instructions.length;
  const index = facts.stages.findIndex((stage) => stage.name?.toLowerCase() === target.toLowerCase());
  const next = facts.stages[index + 1];
  return next === undefined ? facts.instructions.length : next.instructionIndex;
}

/** A failed step, told as Dockerfile:LINE with the instruction, the engine's words and the step's last output. */
function stepFailure(error: BuildStepError, facts: DockerfileFacts, display: string): PackError {
  const step = error.step;
  const line = step !== undefined ? facts.instructions[step.index - 1]?.line : undefined;
  const where = step === undefined ? display : line !== undefined ? `${display}:${line}` : display;
  const head =
    step === undefined
      ? `${where}: build failed: ${error.engineMessage}`
      : `${where}: step ${step.index}/${step.total} (${step.instruction}) failed: ${error.engineMessage}`;
  const tail = error.lastLines.length > 0 ? `\n${error.lastLines.map((text) => `  > ${text}`).join('\n')}` : '';
  return new PackError('BUILD_STEP_FAILED', `${head}${tail}`, {
    cause: error,
    hint: error.lastLines.length > 0 ? `the lines above are the last output of step ${step?.index ?? ''}`.trimEnd() : undefined,
  });
}

/** The context a build request sends (pack archive prepares the very same one). */
export function contextRequestOf(request: Pick<BuildRequest, 'contextDir' | 'dockerfilePath' | 'dockerfileContent' | 'options'>): ContextRequest {
  const { options } = request;
  return {
    contextDir: request.contextDir,
    ...(request.dockerfilePath !== undefined ? { dockerfile: request.dockerfilePath } : {}),
    ...(request.dockerfileContent !== undefined ? { dockerfileContent: request.dockerfileContent } : {}),
    mode: options.dockerignoreMode,
    ...(options.sourceDateEpoch !== undefined ? { sourceDateEpoch: options.sourceDateEpoch } : {}),
  };
}

/**
 * The registry an image reference pulls from, by the same rule push uses (docker/distribution's
 * splitDockerDomain: a lowercase first component with "." or ":", or "localhost", else Docker Hub).
 */
export function registryOf(image: string): string {
  return splitDockerDomain(image).domain;
}

function labelArgValues(request: BuildRequest): Record<string, string> {
  return Object.fromEntries((request.labelArgs ?? []).map(({ arg, label }) => [arg, request.labels[label] ?? '']));
}

async function readDockerfileText(path: string, display: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError('DOCKERFILE_UNREADABLE', `cannot read ${display}: ${errnoCode(error) ?? String(error)}`, { cause: error });
  }
}
