/**
 * What a build would send, summarised for people before they send it (`pack plan`): counts and
 * sizes, the largest directories and files, what .dockerignore excluded and by which line, and the
 * things people regret sending — secrets, huge files, VCS and dependency folders, files their
 * .gitignore ignores. Pure data; the CLI formats it.
 */
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { ContextEntry } from './entry.js';
import type { PreparedContext } from './prepare.js';
import { compareNames, judgePath, type WalkMode } from './walk.js';
import { prepareContext } from './prepare.js';

export const BIG_FILE_BYTES = 100 * 1024 * 1024;
const TOP = 8;
const EXAMPLES = 10;

export interface SizedPath {
  readonly path: string;
  readonly bytes: number;
  readonly files: number;
}

export interface ExclusionCount {
  /** The pattern as written, with `!` for exceptions. */
  readonly pattern: string;
  /** `file:line`, or `docker` for patterns Docker adds itself. */
  readonly where: string;
  readonly files: number;
  readonly bytes: number;
}

export interface ContextWarning {
  readonly code:
    | 'secret'
    | 'big-file'
    | 'vcs-dir'
    | 'dependency-dir'
    | 'cache-dir'
    | 'gitignored'
    | 'walker-difference'
    | 'dockerfile-injected';
  readonly message: string;
  readonly paths: readonly string[];
}

export interface WalkerDifference {
  readonly path: string;
  readonly buildkit: boolean;
  readonly legacy: boolean;
}

export interface ContextReport {
  readonly mode: WalkMode;
  readonly ignoreFile: { readonly name: string; readonly patterns: number } | null;
  readonly dockerfile: { readonly nameInContext: string; readonly injected: boolean; readonly injectedBecause: string | null };
  readonly sent: { readonly files: number; readonly dirs: number; readonly links: number; readonly other: number; readonly bytes: number };
  readonly excluded: { readonly files: number; readonly bytes: number; readonly byPattern: readonly ExclusionCount[] };
  readonly largestDirs: readonly SizedPath[];
  readonly largestFiles: readonly SizedPath[];
  /** Paths one walker sends and the other does not (first few), and how many in all. */
  readonly walkerDifferences: { readonly count: number; readonly examples: readonly WalkerDifference[] };
  readonly warnings: readonly ContextWarning[];
}

/** Folders whose presence in a context is almost always a mistake, by reason. */
const REGRETTABLE_DIRS: Record<string, ContextWarning['code']> = {
  '.git': 'vcs-dir',
  '.hg': 'vcs-dir',
  '.svn': 'vcs-dir',
  node_modules: 'dependency-dir',
  '.venv': 'dependency-dir',
  venv: 'dependency-dir',
  __pycache__: 'cache-dir',
  '.pytest_cache': 'cache-dir',
  '.mypy_cache': 'cache-dir',
  '.tox': 'cache-dir',
};

/** Names that usually hold credentials. Content is checked only for files where a token is optional. */
function secretReason(path: string, source: string | undefined): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === '.env' || (base.startsWith('.env.') && !/\.(example|sample|template|dist|defaults?)$/.test(base))) {
    return 'environment file';
  }
  if (/^id_(rsa|dsa|ecdsa|ed25519)$/.test(base)) return 'SSH private key';
  if (/\.(pem|key|p12|pfx|jks|keystore|ppk)$/.test(base)) return 'key or certificate store';
  if (base === '.netrc' || base === '.git-credentials' || base === '.htpasswd') return 'credentials file';
  if (/(^|\/)\.aws\/credentials$/.test(path) || /(^|\/)\.docker\/config\.json$/.test(path) || /(^|\/)\.kube\/config$/.test(path)) {
    return 'cloud or registry credentials';
  }
  if (base === 'application_default_credentials.json' || base === 'credentials.json' || /\.tfstate$/.test(base)) {
    return 'cloud credentials or state';
  }
  if ((base === '.npmrc' || base === '.pypirc') && source !== undefined) {
    try {
      const text = readFileSync(source, 'utf8');
      if (/_authToken|_auth\s*=|password\s*[=:]|:_password/i.test(text)) return `${base} with a token or password`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

type Counted = { -readonly [K in keyof ExclusionCount]: ExclusionCount[K] };

interface GitignoreLayer {
  readonly dir: string;
  readonly matcher: Ignore;
}

/**
 * Builds the report. Walks the whole tree once (excluded folders too, to count what they hold),
 * plus one extra walk per mode to compare the two walkers.
 */
export function buildContextReport(context: PreparedContext): ContextReport {
  const sentEntries = new Map<string, ContextEntry>();
  for (const entry of context.entries()) sentEntries.set(entry.path, entry);

  const sent = { files: 0, dirs: 0, links: 0, other: 0, bytes: 0 };
  for (const entry of sentEntries.values()) {
    if (entry.type === 'file') {
      sent.files += 1;
      sent.bytes += entry.size;
    } else if (entry.type === 'dir') sent.dirs += 1;
    else if (entry.type === 'symlink' || entry.type === 'hardlink') sent.links += 1;
    else sent.other += 1;
  }

  const dirSizes = new Map<string, SizedPath>();
  const files: SizedPath[] = [];
  const exclusions = new Map<string, Counted>();
  const excluded = { files: 0, bytes: 0 };
  const secrets: string[] = [];
  const bigFiles: string[] = [];
  const regrettable = new Map<ContextWarning['code'], string[]>();
  const gitignored: string[] = [];
  let gitignoredCount = 0;

  const addToDirs = (path: string, bytes: number): void => {
    // Cumulative size for the top-level folder the file lives in.
    const slash = path.indexOf('/');
    if (slash < 0) return;
    const top = path.slice(0, slash);
    const current = dirSizes.get(top) ?? { path: top, bytes: 0, files: 0 };
    dirSizes.set(top, { path: top, bytes: current.bytes + bytes, files: current.files + 1 });
  };

  const visit = (dirRel: string, layers: readonly GitignoreLayer[], excludedBy: Counted | undefined): void => {
    const dirAbs = dirRel === '' ? context.contextDir : join(context.contextDir, dirRel);
    let names: string[];
    try {
      names = readdirSync(dirAbs);
    } catch {
      return; // unreadable folders are reported by the walk itself when they matter
    }
    let here = layers;
    if (names.includes('.gitignore')) {
      try {
        const matcher = ignore().add(readFileSync(join(dirAbs, '.gitignore'), 'utf8'));
        here = [...layers, { dir: dirRel, matcher }];
      } catch {
        // an unreadable .gitignore only costs us the comparison
      }
    }
    for (const name of names.sort(compareNames)) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      let stats: Stats;
      try {
        stats = lstatSync(join(dirAbs, name));
      } catch {
        continue;
      }
      const isDir = stats.isDirectory();
      const entry = sentEntries.get(rel);
      if (entry === undefined) {
        // Not sent: attribute it to the line that excluded it (or its closest excluded parent's).
        let by = excludedBy;
        if (by === undefined) {
          const verdict = judgePath(rel, { matcher: context.matcher, mode: context.mode, isDir });
          const pattern = verdict.decidedBy;
          const key = pattern ? `${pattern.source?.file ?? 'docker'}:${pattern.source?.line ?? 0}:${pattern.text}` : 'none';
          by = exclusions.get(key) ?? {
            pattern: pattern?.text ?? '(none)',
            where: pattern?.source ? `${pattern.source.file}:${pattern.source.line}` : 'docker',
            files: 0,
            bytes: 0,
          };
          exclusions.set(key, by);
        }
        if (!isDir) {
          by.files += 1;
          by.bytes += stats.isFile() ? stats.size : 0;
          excluded.files += 1;
          excluded.bytes += stats.isFile() ? stats.size : 0;
        }
        if (isDir) visit(rel, here, by);
        continue;
      }
      if (isDir) {
        const code = REGRETTABLE_DIRS[name];
        if (code !== undefined) regrettable.set(code, [...(regrettable.get(code) ?? []), rel]);
        // Inside a sent folder, children are judged afresh (an exception can re-include them).
        visit(rel, here, undefined);
        continue;
      }
      if (entry.type === 'file') {
        files.push({ path: rel, bytes: entry.size, files: 1 });
        addToDirs(rel, entry.size);
        if (entry.size > BIG_FILE_BYTES) bigFiles.push(rel);
        const reason = secretReason(rel, entry.source);
        if (reason !== undefined) secrets.push(`${rel} (${reason})`);
      }
      if (isGitignored(rel, here)) {
        gitignoredCount += 1;
        if (gitignored.length < EXAMPLES) gitignored.push(rel);
      }
    }
  };
  visit('', [], undefined);

  const warnings: ContextWarning[] = [];
  if (secrets.length > 0) {
    warnings.push({
      code: 'secret',
      message: `${secrets.length} likely secret${plural(secrets.length)} would be sent and end up in the image; add ${secrets.length === 1 ? 'it' : 'them'} to .dockerignore`,
      paths: secrets,
    });
  }
  if (bigFiles.length > 0) {
    warnings.push({ code: 'big-file', message: `${bigFiles.length} file${plural(bigFiles.length)} over 100 MB would be sent`, paths: bigFiles });
  }
  const dirAdvice: Record<string, string> = {
    'vcs-dir': 'version-control history would be sent (and busts the build cache on every commit)',
    'dependency-dir': 'installed dependencies would be sent; the image should install its own',
    'cache-dir': 'caches would be sent',
  };
  for (const [code, paths] of regrettable) {
    warnings.push({ code, message: `${dirAdvice[code] ?? code}: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}`, paths });
  }
  if (gitignoredCount > 0) {
    warnings.push({
      code: 'gitignored',
      message: `${gitignoredCount} file${plural(gitignoredCount)} ignored by .gitignore would be sent (Docker does not read .gitignore)`,
      paths: gitignored,
    });
  }
  if (context.dockerfile.injected) {
    const why: Record<string, string> = {
      'outside-context': 'it lies outside the context',
      generated: 'pack generated it',
      'excluded-directory': 'its directory is excluded and the walker would not enter it',
    };
    warnings.push({
      code: 'dockerfile-injected',
      message: `the Dockerfile is sent as ${context.dockerfile.nameInContext} because ${why[context.dockerfile.injectedBecause ?? ''] ?? 'it must be'}`,
      paths: [],
    });
  }

  const walkerDifferences = compareWalkers(context);
  if (walkerDifferences.count > 0) {
    warnings.push({
      code: 'walker-difference',
      message: `${walkerDifferences.count} path${plural(walkerDifferences.count)} would be sent by one walker and not the other (BuildKit vs the legacy builder)`,
      paths: walkerDifferences.examples.map((d) => `${d.path}: ${d.buildkit ? 'sent' : 'absent'} with buildkit, ${d.legacy ? 'sent' : 'absent'} with legacy`),
    });
  }

  const bySize = (a: SizedPath, b: SizedPath): number => b.bytes - a.bytes || compareNames(a.path, b.path);
  return {
    mode: context.mode,
    ignoreFile: context.ignoreFile ? { name: context.ignoreFile.name, patterns: context.ignoreFile.lines.length } : null,
    dockerfile: {
      nameInContext: context.dockerfile.nameInContext,
      injected: context.dockerfile.injected,
      injectedBecause: context.dockerfile.injectedBecause ?? null,
    },
    sent,
    excluded: {
      ...excluded,
      byPattern: [...exclusions.values()].filter((e) => e.files > 0).sort((a, b) => b.files - a.files || compareNames(a.where, b.where)),
    },
    largestDirs: [...dirSizes.values()].sort(bySize).slice(0, TOP),
    largestFiles: files.sort(bySize).slice(0, TOP),
    walkerDifferences,
    warnings,
  };
}

function isGitignored(rel: string, layers: readonly GitignoreLayer[]): boolean {
  for (const layer of layers) {
    const local = layer.dir === '' ? rel : rel.slice(layer.dir.length + 1);
    if (layer.matcher.ignores(local)) return true;
  }
  return false;
}

/** The paths the two walkers disagree on (the other walker is run on the same request). */
function compareWalkers(context: PreparedContext): { count: number; examples: WalkerDifference[] } {
  const otherMode: WalkMode = context.mode === 'buildkit' ? 'legacy' : 'buildkit';
  const other = prepareContext({ ...context.request, mode: otherMode });
  const mine = new Set<string>();
  for (const e of context.entries()) mine.add(e.path);
  const theirs = new Set<string>();
  for (const e of other.entries()) theirs.add(e.path);
  const differing = [...new Set([...mine, ...theirs])].filter((p) => mine.has(p) !== theirs.has(p)).sort(compareNames);
  const examples = differing.slice(0, EXAMPLES).map((path) => {
    const inMine = mine.has(path);
    const inTheirs = theirs.has(path);
    return context.mode === 'buildkit'
      ? { path, buildkit: inMine, legacy: inTheirs }
      : { path, buildkit: inTheirs, legacy: inMine };
  });
  return { count: differing.length, examples };
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
