/**
 * `pack build` flags → validated values, before any file is read or the engine is contacted.
 * Every rejection is a UsageError naming the flag and the value.
 */
import { UsageError } from '../errors.js';
import type { NetworkMode } from '../engine/engine.js';
import { parseImageReference } from '../plan/image-reference.js';

/** A tag to apply: repository as written (no docker.io/library/ added) and tag (`latest` by default, as docker). */
export interface ImageTag {
  readonly repository: string;
  readonly tag: string;
}

export function formatImageTag(reference: ImageTag): string {
  return `${reference.repository}:${reference.tag}`;
}

/** The flags as commander hands them over. */
export interface BuildFlags {
  readonly tag?: readonly string[];
  readonly file?: string;
  readonly buildArg?: readonly string[];
  readonly label?: readonly string[];
  readonly target?: string;
  readonly platform?: string;
  readonly network?: string;
  readonly noCache?: boolean;
  readonly pull?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly force?: boolean;
  readonly sourceDateEpoch?: string;
  readonly dockerignoreMode?: string;
  readonly host?: string;
  readonly context?: string;
}

export interface BuildOptions {
  readonly tags: readonly ImageTag[];
  /** As given to -f, not yet resolved against the project. */
  readonly file?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platform?: string;
  readonly network: NetworkMode;
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly quiet: boolean;
  readonly json: boolean;
  readonly force: boolean;
  readonly sourceDateEpoch?: number;
  readonly dockerignoreMode: 'buildkit' | 'legacy';
  readonly host?: string;
  readonly context?: string;
}

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STAGE_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
// containerd platforms.Parse: os[/arch[/variant]], lowercase letters, digits, _ and -.
const PLATFORM = /^[a-z0-9_-]+(?:\/[a-z0-9_-]+){0,2}$/;

/**
 * `env` is where `--build-arg NAME` (no `=`) takes its value from; an unset variable leaves the
 * argument out, as the docker CLI does (the Dockerfile's ARG default then applies).
 */
export function parseBuildOptions(flags: BuildFlags, env: Readonly<Record<string, string | undefined>>): BuildOptions {
  const tags: ImageTag[] = [];
  const seen = new Set<string>();
  for (const raw of flags.tag ?? []) {
    const parsed = parseImageReference(raw, `-t/--tag ${JSON.stringify(raw)}`);
    if (parsed.digest !== undefined) {
      throw new UsageError('BAD_TAG', `-t/--tag ${JSON.stringify(raw)}: a digest cannot be a build's tag`, { hint: 'give NAME:TAG, e.g. my-app:1.0' });
    }
    const reference = { repository: parsed.name, tag: parsed.tag ?? 'latest' };
    const key = formatImageTag(reference);
    if (!seen.has(key)) tags.push(reference);
    seen.add(key);
  }

  const buildArgs: Record<string, string> = {};
  for (const raw of flags.buildArg ?? []) {
    const eq = raw.indexOf('=');
    const name = eq === -1 ? raw : raw.slice(0, eq);
    if (!ARG_NAME.test(name)) {
      throw new UsageError('BAD_BUILD_ARG', `--build-arg "${raw}": "${name}" is not a valid argument name`, {
        hint: 'use --build-arg NAME=VALUE, or --build-arg NAME to pass the value of $NAME',
      });
    }
    if (eq !== -1) buildArgs[name] = raw.slice(eq + 1);
    else if (env[name] !== undefined) buildArgs[name] = env[name] as string;
  }

  const labels: Record<string, string> = {};
  for (const raw of flags.label ?? []) {
    const eq = raw.indexOf('=');
    const key = eq === -1 ? raw : raw.slice(0, eq);
    if (key.trim() === '' || /\s/.test(key)) {
      throw new UsageError('BAD_LABEL', `--label "${raw}": a label needs a key without spaces`, { hint: 'use --label KEY=VALUE' });
    }
    labels[key] = eq === -1 ? '' : raw.slice(eq + 1);
  }

  if (flags.target !== undefined && !STAGE_NAME.test(flags.target)) {
    throw new UsageError('BAD_TARGET', `--target "${flags.target}": not a valid stage name`, {
      hint: 'name a stage declared with FROM … AS NAME',
    });
  }
  if (flags.platform !== undefined && !PLATFORM.test(flags.platform)) {
    throw new UsageError('BAD_PLATFORM', `--platform "${flags.platform}": expected OS[/ARCH[/VARIANT]] in lowercase`, {
      hint: 'e.g. --platform linux/amd64 or linux/arm64/v8',
    });
  }
  const network = flags.network ?? 'default';
  if (network !== 'default' && network !== 'none' && network !== 'host') {
    throw new UsageError('BAD_NETWORK', `--network "${network}": must be default, none or host`, {
      hint: 'RUN steps use the engine default network unless you choose none (no network) or host',
    });
  }
  let sourceDateEpoch: number | undefined;
  if (flags.sourceDateEpoch !== undefined) {
    if (!/^[0-9]+$/.test(flags.sourceDateEpoch) || !Number.isSafeInteger(Number(flags.sourceDateEpoch))) {
      throw new UsageError('BAD_SOURCE_DATE_EPOCH', `--source-date-epoch "${flags.sourceDateEpoch}": expected whole seconds since 1970`, {
        hint: 'e.g. --source-date-epoch "$(git log -1 --format=%ct)"',
      });
    }
    sourceDateEpoch = Number(flags.sourceDateEpoch);
  }
  const dockerignoreMode = flags.dockerignoreMode ?? 'buildkit';
  if (dockerignoreMode !== 'buildkit' && dockerignoreMode !== 'legacy') {
    throw new UsageError('BAD_DOCKERIGNORE_MODE', `--dockerignore-mode "${dockerignoreMode}": must be buildkit or legacy`);
  }
  if (flags.file !== undefined && flags.file === '') throw new UsageError('BAD_FILE', '-f/--file: empty path');

  return {
    tags,
    ...(flags.file !== undefined ? { file: flags.file } : {}),
    buildArgs,
    labels,
    ...(flags.target !== undefined ? { target: flags.target } : {}),
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
    network,
    noCache: flags.noCache === true,
    pull: flags.pull === true,
    quiet: flags.quiet === true,
    json: flags.json === true,
    force: flags.force === true,
    ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
    dockerignoreMode,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  };
}
