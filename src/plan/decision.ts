/**
 * One decision of a plan, and the shared rules that merge the user's overrides with what detection
 * proposed (flag > config > detection > pack's default). Every decision says where it came from and
 * what it was chosen over, so `pack plan` can answer "why this?" for each line of the Dockerfile.
 */
import { describeCommand, toExecArgv } from '../detect/command.js';
import type { Ambiguity, DecisionKey, Detected, FactWarning, PortFact, StartFact } from '../detect/facts.js';
import { joinPath } from '../detect/project-files.js';
import { UsageError } from '../errors.js';
import { overrideName, type Setting, type SettingKey, type Settings } from './settings.js';

export type DecisionSource = 'flag' | 'config' | 'detected' | 'default';

export interface PlanDecision {
  readonly key: DecisionKey;
  /** What was decided, as text (a command, an image reference) or a number (a port); null = none. */
  readonly value: string | number | null;
  readonly source: DecisionSource;
  /** One line: why. */
  readonly reason: string;
  /** The file (and line) that decided it. */
  readonly file?: string;
  /** What it was chosen over. */
  readonly over?: readonly string[];
}

export function decision(
  key: DecisionKey,
  value: string | number | null,
  source: DecisionSource,
  reason: string,
  extra: { file?: string | undefined; over?: readonly string[] | undefined } = {},
): PlanDecision {
  return {
    key,
    value,
    source,
    reason,
    ...(extra.file !== undefined ? { file: extra.file } : {}),
    ...(extra.over !== undefined && extra.over.length > 0 ? { over: [...extra.over] } : {}),
  };
}

export function fromDetected<T>(key: DecisionKey, detected: Detected<T>, value: string | number | null): PlanDecision {
  return decision(key, value, detected.file === undefined ? 'default' : 'detected', detected.reason, {
    file: detected.file,
    over: detected.over,
  });
}

/** A Dockerfile comment line's text: one line, no trailing spaces. */
export function commentText(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** `reason (file)`, the way Dockerfile comments cite their evidence. */
export function cite(reason: string, file?: string): string {
  return commentText(file && !reason.includes(file) ? `${reason} (${file})` : reason);
}

export function ambiguityError(ambiguity: Ambiguity): UsageError {
  const list = ambiguity.candidates.map((candidate) => `  - ${candidate}`).join('\n');
  return new UsageError('AMBIGUOUS_PROJECT', `${ambiguity.message}; pack will not guess`, {
    hint: `choose with ${ambiguity.override}. Candidates:\n${list}`,
  });
}

export interface StartChoice {
  readonly decision: PlanDecision;
  /** Exec-form argv for CMD; undefined when nothing was found (the recipe writes a TODO). */
  readonly argv?: readonly string[];
  readonly comment: string;
  readonly port?: PortFact;
}

/** start: --cmd / "cmd" > detection (an ambiguity is an error unless overridden) > none (a TODO). */
export function decideStart(start: StartFact | Ambiguity | undefined, settings: Settings, whatWasSearched: string): StartChoice {
  const override = settings.cmd;
  const detectedText = start === undefined ? undefined : 'key' in start ? start.message : `${describeCommand(start.value)} (${start.reason})`;
  if (override) {
    const argv = toExecArgv(override.value);
    return {
      decision: decision('start', describeCommand(override.value), override.source, `${override.origin}`, {
        over: detectedText ? [detectedText] : undefined,
      }),
      argv,
      comment: cite(`start command from ${override.origin}`),
      ...(start && !('key' in start) && start.port ? { port: start.port } : {}),
    };
  }
  if (start && 'key' in start) throw ambiguityError(start);
  if (!start) {
    return {
      decision: decision('start', null, 'default', `no start command found (looked for ${whatWasSearched})`),
      comment: `TODO: no start command was found (looked for ${whatWasSearched}); set one with --cmd or "cmd" in pack.json`,
    };
  }
  return {
    decision: decision('start', describeCommand(start.value), 'detected', start.reason, { file: start.file, over: start.over }),
    argv: toExecArgv(start.value),
    comment: cite(start.reason, start.file),
    ...(start.port ? { port: start.port } : {}),
  };
}

export interface PortChoice {
  readonly decision?: PlanDecision;
  readonly port?: number;
  /** The `ENV`/`EXPOSE` block for the template ('' when no port is known). */
  readonly block: string;
}

/** port: --port / "port" > what the start command or entry file says > none (no EXPOSE). */
export function decidePort(detected: PortFact | undefined, settings: Settings, warnings: FactWarning[]): PortChoice {
  const override = settings.port;
  const envName = detected?.via.kind === 'env' ? detected.via.name : undefined;
  let port: number;
  let chosen: PlanDecision;
  let why: string;
  if (override) {
    port = override.value;
    chosen = decision('port', port, override.source, override.origin, {
      over: detected ? [`${detected.value} (${detected.reason})`] : undefined,
    });
    why = `port ${port} from ${override.origin}`;
    if (detected && detected.via.kind === 'fixed' && detected.value !== port) {
      warnings.push({
        code: 'port-override-fixed',
        message: `${override.origin} ${port}: ${detected.file ?? 'the app'} fixes port ${detected.value} in code, so only EXPOSE changes; make the app read $PORT`,
        ...(detected.file !== undefined ? { file: detected.file } : {}),
      });
    }
  } else if (detected) {
    port = detected.value;
    chosen = decision('port', port, 'detected', detected.reason, { file: detected.file, over: detected.over });
    why = cite(detected.reason, detected.file);
  } else {
    return { block: '' };
  }
  const lines = [`# ${why}. EXPOSE documents it; publish it with docker run -p ${port}:${port}.`];
  if (envName) lines.push(`ENV ${envName}=${port}`);
  lines.push(`EXPOSE ${port}`);
  return { decision: chosen, port, block: lines.join('\n') };
}

export interface StartAndPort {
  readonly decisions: readonly PlanDecision[];
  /** Exec-form argv for CMD; undefined when nothing was found. */
  readonly argv?: readonly string[];
  readonly startComment: string;
  readonly port?: number;
  /** The `ENV`/`EXPOSE` block ('' when no port is known). */
  readonly expose: string;
}

/**
 * Start command and port together: when pack wrote the start command itself and the port is one of
 * its arguments (`uvicorn ... --port 8000`), `--port` rewrites that argument, so the app really
 * listens where EXPOSE says.
 */
export function decideStartAndPort(start: StartFact | Ambiguity | undefined, settings: Settings, warnings: FactWarning[], whatWasSearched: string): StartAndPort {
  const startChoice = decideStart(start, settings, whatWasSearched);
  const portChoice = decidePort(startChoice.port, settings, warnings);
  let argv = startChoice.argv;
  const via = startChoice.port?.via;
  if (argv && via?.kind === 'arg' && !settings.cmd && portChoice.port !== undefined && via.index < argv.length) {
    argv = argv.map((arg, index) => (index === via.index ? via.format.replace('{port}', String(portChoice.port)) : arg));
  }
  const decisions = [startChoice.decision, ...(portChoice.decision ? [portChoice.decision] : [])];
  if (argv && startChoice.argv && argv !== startChoice.argv) {
    decisions[0] = { ...startChoice.decision, value: describeCommand({ form: 'exec', argv }) };
  }
  return {
    decisions,
    ...(argv ? { argv } : {}),
    startComment: startChoice.comment,
    ...(portChoice.port !== undefined ? { port: portChoice.port } : {}),
    expose: portChoice.block,
  };
}

export interface ImageChoice {
  readonly decision: PlanDecision;
  readonly image: string;
  readonly comment: string;
}

/** baseImage: --base / "base" > pack's pinned image for the detected runtime. */
export function decideBase(defaultImage: string, why: string, settings: Settings, file?: string): ImageChoice {
  const override = settings.base;
  if (override) {
    return {
      decision: decision('baseImage', override.value, override.source, override.origin, { over: [defaultImage] }),
      image: override.value,
      comment: `base image from ${override.origin} (instead of ${defaultImage}, ${why})`,
    };
  }
  return {
    decision: decision('baseImage', defaultImage, file === undefined ? 'default' : 'detected', why, { file }),
    image: defaultImage,
    comment: cite(why, file),
  };
}

/** A runtime version decision: --python/--node / config > the project's version file > default. */
export function decideVersion(
  runtime: string,
  key: SettingKey,
  setting: Setting<{ version: string; how: string }> | undefined,
  detected: Detected<string> | undefined,
  fallback: string,
  warnings: FactWarning[],
): { decision: PlanDecision; version: string; why: string } {
  if (setting) {
    return {
      decision: decision('runtime', `${runtime} ${setting.value.version}`, setting.source, `${setting.origin}: ${setting.value.how}`, {
        over: detected ? [`${detected.value} (${detected.reason})`] : undefined,
      }),
      version: setting.value.version,
      why: `${runtime} ${setting.value.version} from ${setting.origin}`,
    };
  }
  if (detected) {
    return {
      decision: decision('runtime', `${runtime} ${detected.value}`, 'detected', detected.reason, { file: detected.file, over: detected.over }),
      version: detected.value,
      why: cite(detected.reason, detected.file),
    };
  }
  warnings.push({
    code: 'runtime-default',
    message: `the project does not say which ${runtime} version it needs; using ${fallback} (pin it with ${overrideName(key)} or a version file)`,
  });
  return {
    decision: decision('runtime', `${runtime} ${fallback}`, 'default', `no version declared → pack's default ${runtime} ${fallback}`),
    version: fallback,
    why: `no ${runtime} version declared → pack's default ${fallback}`,
  };
}

/**
 * COPY lines for files that must arrive before the install, grouped by destination directory
 * (COPY with several sources flattens them into the destination, so each directory gets its own).
 * `root` is where the project lives inside the build context; destinations are relative to WORKDIR.
 */
export function copyManifestsBlock(root: string, manifests: readonly string[]): string {
  const byDir = new Map<string, string[]>();
  for (const manifest of manifests) {
    const isDir = manifest.endsWith('/');
    const path = isDir ? manifest.slice(0, -1) : manifest;
    const slash = path.lastIndexOf('/');
    const dest = isDir ? `${path}/` : slash < 0 ? './' : `${path.slice(0, slash)}/`;
    const source = joinPath(root === '.' ? '' : root, path) + (isDir ? '/' : '');
    const group = isDir ? `dir:${dest}` : dest;
    byDir.set(group, [...(byDir.get(group) ?? []), source]);
  }
  return [...byDir].map(([group, sources]) => `COPY ${sources.join(' ')} ${group.startsWith('dir:') ? group.slice(4) : group}`).join('\n');
}

export function execForm(argv: readonly string[]): string {
  return `[${argv.map((arg) => JSON.stringify(arg)).join(', ')}]`;
}
