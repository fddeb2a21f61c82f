/**
 * The user's choices, from two places, merged with one precedence: a command-line flag beats the
 * project's config file, which beats detection.
 *
 * The config is `pack.json` at the project root, or a `"pack"` object in the root package.json
 * (never both: two sources for one setting is how teams end up arguing with their tools). Keys:
 *   app        directory to build (monorepos)            --app PATH
 *   ecosystem  node|python|go|rust|java|ruby|static|generic   --ecosystem NAME
 *   base       base image of the final stage             --base IMAGE
 *   cmd        start command: a string, or an argv array  --cmd CMD
 *   port       port the app listens on                   --port N
 *   python     Python version (3.12, 3.12.4, >=3.10)     --python VERSION
 *   node       Node.js version (22, 22.11.0, lts/jod)    --node VERSION
 * Every value is validated here, before any I/O, and an invalid one is a usage error naming the flag
 * or the config file, line and key.
 */
import { parseCommand } from '../detect/command.js';
import { ECOSYSTEMS, type Command, type Ecosystem } from '../detect/facts.js';
import { isObject, lineOf, parseJsonObject, type JsonObject } from '../detect/manifest-parse.js';
import { normaliseProjectPath, type ProjectFiles } from '../detect/project-files.js';
import { resolveNodeVersion, resolvePythonVersion, type ResolvedVersion } from '../detect/runtime-version.js';
import { UsageError } from '../errors.js';
import { parseImageReference } from './image-reference.js';

/** Overrides as they come from the command line (strings, unvalidated). */
export interface PlanFlags {
  readonly app?: string;
  readonly ecosystem?: string;
  readonly base?: string;
  readonly cmd?: string;
  readonly port?: string | number;
  readonly python?: string;
  readonly node?: string;
}

export const SETTING_KEYS = ['app', 'ecosystem', 'base', 'cmd', 'port', 'python', 'node'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Picks the override flags out of a command's parsed options (commander gives them all in one object). */
export function pickPlanFlags(options: Readonly<Record<string, unknown>>): PlanFlags {
  const flags: Partial<Record<SettingKey, string | number>> = {};
  for (const key of SETTING_KEYS) {
    const value = options[key];
    if (typeof value === 'string' || typeof value === 'number') flags[key] = value;
  }
  return flags as PlanFlags;
}

/** The project's config file, as read (values still unvalidated). */
export interface ProjectConfig {
  /** `pack.json` or `package.json`. */
  readonly path: string;
  /** How errors name a key: `pack.json` or `package.json "pack"`. */
  readonly label: string;
  readonly values: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** The line of each key, for errors (`pack.json:4`). */
  readonly lines: Readonly<Partial<Record<SettingKey, number>>>;
}

export type SettingSource = 'flag' | 'config';

export interface Setting<T> {
  readonly value: T;
  readonly source: SettingSource;
  /** Where it came from, for reasons and errors: `--port` or `pack.json:4 "port"`. */
  readonly origin: string;
}

export interface Settings {
  readonly app?: Setting<string>;
  readonly ecosystem?: Setting<Ecosystem>;
  readonly base?: Setting<string>;
  readonly cmd?: Setting<Command>;
  readonly port?: Setting<number>;
  readonly python?: Setting<ResolvedVersion>;
  readonly node?: Setting<ResolvedVersion>;
}

/** Reads pack.json, or the "pack" key of package.json; undefined when neither exists. */
export function readProjectConfig(files: ProjectFiles): ProjectConfig | undefined {
  const packText = files.read('pack.json');
  const pkgText = files.read('package.json');
  const pkg = pkgText === undefined ? undefined : parseJsonObject('package.json', pkgText);
  const fromPackageJson = pkg?.['pack'];
  if (packText !== undefined && fromPackageJson !== undefined) {
    throw new UsageError('CONFIG_TWICE', 'pack.json and a "pack" key in package.json both configure pack', {
      hint: 'keep one of them',
    });
  }
  if (packText !== undefined) return toConfig('pack.json', 'pack.json', parseJsonObject('pack.json', packText), packText);
  if (fromPackageJson === undefined || pkgText === undefined) return undefined;
  if (!isObject(fromPackageJson)) {
    throw new UsageError('BAD_CONFIG', `package.json:${lineOf(pkgText, /"pack"\s*:/) ?? 1}: "pack" must be an object`, {
      hint: 'e.g. "pack": { "port": 8080 }',
    });
  }
  return toConfig('package.json', 'package.json "pack"', fromPackageJson, pkgText, lineOf(pkgText, /"pack"\s*:/) ?? 1);
}

/** `firstLine`: where the config object starts in `text`, so keys are looked up inside it. */
function toConfig(path: string, label: string, object: JsonObject, text: string, firstLine = 1): ProjectConfig {
  const tail = text.split('\n').slice(firstLine - 1).join('\n');
  const values: Partial<Record<SettingKey, unknown>> = {};
  const lines: Partial<Record<SettingKey, number>> = {};
  for (const key of Object.keys(object).sort()) {
    if (key === '$schema') continue;
    const line = (lineOf(tail, new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`)) ?? 1) + firstLine - 1;
    if (!(SETTING_KEYS as readonly string[]).includes(key)) {
      throw new UsageError('BAD_CONFIG', `${path}:${line}: unknown key ${JSON.stringify(key)} in ${label}`, {
        hint: `known keys: ${SETTING_KEYS.join(', ')}`,
      });
    }
    values[key as SettingKey] = object[key];
    lines[key as SettingKey] = line;
  }
  return { path, label, values, lines };
}

function origins(key: SettingKey, config: ProjectConfig | undefined): string {
  return config ? `${config.path}:${config.lines[key] ?? 1} "${key}"` : key;
}

const FLAG_NAMES: Record<SettingKey, string> = {
  app: '--app',
  ecosystem: '--ecosystem',
  base: '--base',
  cmd: '--cmd',
  port: '--port',
  python: '--python',
  node: '--node',
};

/** How to name the override for a setting in a hint: `--port, or "port" in pack.json`. */
export function overrideName(key: SettingKey): string {
  return `${FLAG_NAMES[key]}, or "${key}" in pack.json`;
}

/** Validates and merges flags over config. Every error names the flag or the config line. */
export function resolveSettings(flags: PlanFlags = {}, config?: ProjectConfig): Settings {
  const pick = <T>(key: SettingKey, parse: (raw: unknown, origin: string) => T): Setting<T> | undefined => {
    const flag = flags[key];
    if (flag !== undefined) return { value: parse(flag, FLAG_NAMES[key]), source: 'flag', origin: FLAG_NAMES[key] };
    const raw = config?.values[key];
    if (raw === undefined) return undefined;
    const origin = origins(key, config);
    return { value: parse(raw, origin), source: 'config', origin };
  };
  const settings: {
    -readonly [K in keyof Settings]: Settings[K];
  } = {};
  const app = pick('app', (raw, origin) => normaliseProjectPath(requireString(raw, origin), origin) || '.');
  if (app) settings.app = app;
  const ecosystem = pick('ecosystem', (raw, origin) => {
    const value = requireString(raw, origin);
    if (!(ECOSYSTEMS as readonly string[]).includes(value)) {
      throw new UsageError('BAD_ECOSYSTEM', `${origin}: unknown ecosystem ${JSON.stringify(value)}`, { hint: `one of ${ECOSYSTEMS.join(', ')}` });
    }
    return value as Ecosystem;
  });
  if (ecosystem) settings.ecosystem = ecosystem;
  const base = pick('base', (raw, origin) => parseImageReference(requireString(raw, origin), origin).text);
  if (base) settings.base = base;
  const cmd = pick('cmd', parseCmd);
  if (cmd) settings.cmd = cmd;
  const port = pick('port', parsePort);
  if (port) settings.port = port;
  const python = pick('python', (raw, origin) => resolvePythonVersion(requireString(raw, origin), origin));
  if (python) settings.python = python;
  const node = pick('node', (raw, origin) => resolveNodeVersion(requireString(raw, origin), origin));
  if (node) settings.node = node;
  return settings;
}

function requireString(raw: unknown, origin: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new UsageError('BAD_SETTING', `${origin}: expected a non-empty string, got ${JSON.stringify(raw)}`);
  }
  return raw.trim();
}

function parseCmd(raw: unknown, origin: string): Command {
  if (Array.isArray(raw)) {
    if (raw.length === 0 || !raw.every((item) => typeof item === 'string' && item !== '')) {
      throw new UsageError('BAD_CMD', `${origin}: expected a command string or a non-empty array of strings`, {
        hint: 'e.g. "cmd": ["node", "server.js"]',
      });
    }
    return { form: 'exec', argv: raw as string[] };
  }
  return parseCommand(requireString(raw, origin));
}

function parsePort(raw: unknown, origin: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError('BAD_PORT', `${origin}: ${JSON.stringify(raw)} is not a port number (1-65535)`, { hint: 'e.g. --port 8080' });
  }
  return port;
}
