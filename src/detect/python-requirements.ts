/**
 * requirements.txt as pip reads it: one requirement per line, `#` comments, `\` continuations,
 * `-r`/`--requirement` and `-c`/`--constraint` naming other files (which must be copied before the
 * install too), and options such as `--index-url` or `--hash`. Pack needs three things from it: the
 * files it pulls in, the package names (to recognise frameworks), and whether every requirement is
 * pinned (then it is as good as a lockfile) or not (a warning).
 */
import { joinPath, type ProjectFiles } from './project-files.js';

export interface RequirementsFile {
  /** This file and every file it includes, relative to the project, in include order. */
  readonly files: readonly string[];
  /** Normalised package names (PEP 503: lowercase, runs of -_. as -), sorted, with extras kept as `name[extra]` too. */
  readonly names: readonly string[];
  /** Requirements without an exact pin, as `file:line name`. */
  readonly unpinned: readonly string[];
  /** Lines installing a local path (`-e .`, `./pkg`): they need the source tree, as `file:line`. */
  readonly localPaths: readonly string[];
  /** Included files that do not exist, as `file:line path`. */
  readonly missing: readonly string[];
}

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution name (and extras) at the start of a PEP 508 requirement. */
export function requirementName(spec: string): { name: string; extras: string[] } | undefined {
  const match = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?/.exec(spec);
  if (!match) return undefined;
  const extras = (match[2] ?? '')
    .split(',')
    .map((extra) => normaliseName(extra.trim()))
    .filter((extra) => extra !== '');
  return { name: normaliseName(match[1] as string), extras };
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function normalisePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export function readRequirements(files: ProjectFiles, path: string): RequirementsFile | undefined {
  if (files.read(path) === undefined) return undefined;
  const seen: string[] = [];
  const names = new Set<string>();
  const unpinned: string[] = [];
  const localPaths: string[] = [];
  const missing: string[] = [];
  const visit = (file: string): void => {
    if (seen.includes(file)) return;
    const text = files.read(file);
    if (text === undefined) return;
    seen.push(file);
    const rawLines = text.split('\n');
    for (let i = 0; i < rawLines.length; i += 1) {
      const lineNumber = i + 1;
      let line = (rawLines[i] as string).replace(/\r$/, '');
      while (line.endsWith('\\') && i + 1 < rawLines.length) {
        i += 1;
        line = `${line.slice(0, -1)} ${(rawLines[i] as string).replace(/\r$/, '')}`;
      }
      line = line.replace(/(^|\s)#.*$/, '').trim();
      if (line === '') continue;
      const include = /^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)/.exec(line);
      if (include) {
        const target = normalisePath(joinPath(dirname(file), include[1] as string));
        if (files.read(target) === undefined) missing.push(`${file}:${lineNumber} ${include[1]}`);
        else visit(target);
        continue;
      }
      if (/^(-e|--editable)\s+/.test(line) || /^(\.{1,2}\/|\.$|file:)/.test(line)) {
        localPaths.push(`${file}:${lineNumber}`);
        continue;
      }
      if (line.startsWith('-')) continue; // --index-url, --hash on its own line, --no-binary ...
      const requirement = requirementName(line);
      if (!requirement) continue;
      names.add(requirement.name);
      for (const extra of requirement.extras) names.add(`${requirement.name}[${extra}]`);
      // Pinned: exactly one `==` clause without a wildcard (hashes and environment markers aside),
      // or a direct URL reference (`name @ https://...`).
      const bare = line.replace(/\s--hash[=\s]\S+/g, '').replace(/;.*$/, '').trim();
      const pinned = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*===?\s*[^\s,*<>=!~]+$/.test(bare) || /\s@\s/.test(bare);
      if (!pinned) unpinned.push(`${file}:${lineNumber} ${requirement.name}`);
    }
  };
  visit(path);
  return { files: seen, names: [...names].sort(), unpinned, localPaths, missing };
}
