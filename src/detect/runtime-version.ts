/**
 * Turning what a project says about its runtime version (an exact pin, a major, an LTS codename, a
 * range) into the version part of a base image tag. A pin stays as specific as the project wrote it;
 * a range picks pack's default line when the range allows it, else the newest line it allows. The
 * known lines and defaults live here, next to the rule that uses them, so one edit updates both.
 */
import semver from 'semver';
import { UsageError } from '../errors.js';

/** Node.js release lines pack knows images for, oldest first; the default is the active LTS. */
export const NODE_MAJORS = ['18', '20', '22', '24'] as const;
export const DEFAULT_NODE = '22';

/** CPython minor versions with maintained `-slim-bookworm` images, oldest first. */
export const PYTHON_MINORS = ['3.9', '3.10', '3.11', '3.12', '3.13'] as const;
export const DEFAULT_PYTHON = '3.12';

/** Node's LTS codenames, as `.nvmrc` may name them (`lts/iron`). */
const NODE_LTS_CODENAMES: Readonly<Record<string, string>> = {
  argon: '4',
  boron: '6',
  carbon: '8',
  dubnium: '10',
  erbium: '12',
  fermium: '14',
  gallium: '16',
  hydrogen: '18',
  iron: '20',
  jod: '22',
  krypton: '24',
};

export interface ResolvedVersion {
  /** The version put in the image tag: `20`, `20.11.1`, `3.12`. */
  readonly version: string;
  /** How the input was read, e.g. `range >=18 → 22 (pack's default line)`. */
  readonly how: string;
}

function badVersion(origin: string, input: string, flag: string, expected: string): UsageError {
  return new UsageError('BAD_RUNTIME_VERSION', `${origin}: cannot read ${JSON.stringify(input)} as a version (${expected})`, {
    hint: `fix it, or choose the version with ${flag}`,
  });
}

/** Picks a release line for a range: the default when allowed, else the newest allowed. */
function pickLine(lines: readonly string[], fallback: string, allows: (line: string) => boolean): string | undefined {
  if (allows(fallback)) return fallback;
  return [...lines].reverse().find(allows);
}

/**
 * Reads a Node.js version as `.nvmrc`, `.node-version`, `engines.node`, `volta.node` or `--node` give
 * it. `origin` names where it came from, for errors (`.nvmrc:1`).
 */
export function resolveNodeVersion(input: string, origin: string): ResolvedVersion {
  const text = input.trim();
  const exact = /^v?(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/.exec(text);
  if (exact) {
    const version = text.replace(/^v/, '');
    return { version, how: exact[2] === undefined ? `Node.js ${version}` : `Node.js ${version} (pinned)` };
  }
  const lts = /^lts\/(\S+)$/i.exec(text);
  if (lts) {
    const name = (lts[1] as string).toLowerCase();
    if (name === '*') return { version: DEFAULT_NODE, how: `latest LTS → ${DEFAULT_NODE}` };
    const major = NODE_LTS_CODENAMES[name];
    if (!major) throw badVersion(origin, input, '--node', `unknown LTS codename; known: ${Object.keys(NODE_LTS_CODENAMES).join(', ')}`);
    return { version: major, how: `LTS "${name}" → ${major}` };
  }
  if (/^(node|latest|current|stable)$/i.test(text)) {
    return { version: NODE_MAJORS[NODE_MAJORS.length - 1] as string, how: `"${text}" → the newest line pack knows` };
  }
  const range = semver.validRange(text);
  if (range === null) throw badVersion(origin, input, '--node', 'expected e.g. 20, 20.11.1, lts/iron or >=18');
  const line = pickLine(NODE_MAJORS, DEFAULT_NODE, (major) => semver.intersects(range, `${major}.x`));
  if (!line) {
    throw new UsageError('BAD_RUNTIME_VERSION', `${origin}: ${JSON.stringify(input)} allows none of the Node.js lines pack knows (${NODE_MAJORS.join(', ')})`, {
      hint: 'choose an exact version with --node, e.g. --node 22',
    });
  }
  return { version: line, how: `range ${text} → ${line}${line === DEFAULT_NODE ? " (pack's default line)" : ' (newest line it allows)'}` };
}

/** A PEP 440 / Poetry version specifier as a semver range, for the subset that names versions. */
function pythonSpecifierToRange(spec: string): string | undefined {
  const alternatives = spec.split('||').map((alternative) => {
    const clauses = alternative
      .split(/,|\s+(?=[<>=!~^])/)
      .map((clause) => clause.trim())
      .filter((clause) => clause !== '');
    const parts: string[] = [];
    for (const clause of clauses) {
      const match = /^(~=|===|==|!=|<=|>=|<|>|\^|~)?\s*(\d+(?:\.\d+)*)(\.\*)?$/.exec(clause);
      if (!match) return undefined;
      const operator = match[1] ?? '==';
      const numbers = (match[2] as string).split('.');
      const wildcard = match[3] !== undefined;
      const padded = [...numbers, '0', '0'].slice(0, 3).join('.');
      if (operator === '!=') continue; // exclusions never change which release line fits best
      if (operator === '~=') {
        // Compatible release: ~=3.11 means >=3.11,<4; ~=3.11.2 means >=3.11.2,<3.12.
        if (numbers.length < 2) return undefined;
        const upper = numbers.slice(0, -1);
        upper[upper.length - 1] = String(Number(upper[upper.length - 1]) + 1);
        parts.push(`>=${padded} <${[...upper, '0', '0'].slice(0, 3).join('.')}`);
      } else if (operator === '==' || operator === '===') {
        parts.push(wildcard || numbers.length < 3 ? `${numbers.join('.')}.x` : padded);
      } else if (operator === '^' || operator === '~') {
        parts.push(`${operator}${padded}`);
      } else {
        parts.push(`${operator}${padded}`);
      }
    }
    return parts.join(' ');
  });
  if (alternatives.some((alternative) => alternative === undefined)) return undefined;
  return semver.validRange(alternatives.join(' || ')) ?? undefined;
}

/**
 * Reads a Python version as `.python-version`, `runtime.txt`, `requires-python`, Poetry's `python`
 * dependency, Pipfile's `python_version` or `--python` give it.
 */
export function resolvePythonVersion(input: string, origin: string): ResolvedVersion {
  const text = input.trim().replace(/^python-?/i, '');
  if (/^3\.\d+(\.\d+)?$/.test(text)) {
    return { version: text, how: text.split('.').length === 3 ? `Python ${text} (pinned)` : `Python ${text}` };
  }
  if (/^\d/.test(text) && !/[<>=~^!,*|]/.test(text)) {
    throw badVersion(origin, input, '--python', 'expected a CPython 3 version such as 3.12 or 3.12.4');
  }
  const range = pythonSpecifierToRange(text);
  if (range === undefined) throw badVersion(origin, input, '--python', 'expected e.g. 3.12, 3.12.4 or >=3.10');
  const line = pickLine(PYTHON_MINORS, DEFAULT_PYTHON, (minor) => semver.intersects(range, `${minor}.x`));
  if (!line) {
    throw new UsageError('BAD_RUNTIME_VERSION', `${origin}: ${JSON.stringify(input)} allows none of the Python versions pack knows (${PYTHON_MINORS.join(', ')})`, {
      hint: 'choose one with --python, e.g. --python 3.12',
    });
  }
  return { version: line, how: `range ${text} → ${line}${line === DEFAULT_PYTHON ? " (pack's default)" : ' (newest it allows)'}` };
}

/** The first meaningful line of a version file (`.nvmrc`, `.python-version`), with its number. */
export function firstValueLine(text: string): { value: string; line: number } | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const value = (lines[i] as string).replace(/#.*$/, '').trim();
    if (value !== '') return { value, line: i + 1 };
  }
  return undefined;
}
