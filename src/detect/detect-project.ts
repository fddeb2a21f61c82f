/**
 * detectProject: everything pack learns about a project, from files read through a ProjectFiles
 * reader and nothing else (no cwd, no environment, no clock), so the same tree always gives the same
 * facts.
 *
 * Which directory is the app (`--app PATH` aside): the root when it has a manifest; else, when the
 * tree holds projects below the root, the only one (with a warning) or an ambiguity listing them.
 * `--app` naming a Node workspace member or a Go package keeps the install at the root (the
 * lockfile lives there); any other directory is detected as a project of its own.
 */
import { UsageError } from '../errors.js';
import type { Ambiguity, Detected, EcosystemFacts, FactWarning, ProjectFacts, Subproject } from './facts.js';
import { detectGeneric } from './generic.js';
import { detectGo } from './go.js';
import { detectJava, javaMarkers } from './java.js';
import { detectNode, expandWorkspaces, readPackageJson, workspacePatterns } from './node.js';
import { readProcfile } from './procfile.js';
import { compareBytewise, dirNames, isDir, isFile, joinPath, normaliseProjectPath, type ProjectFiles } from './project-files.js';
import { detectPython, pythonMarkers } from './python.js';
import { detectRuby } from './ruby.js';
import { detectRust } from './rust.js';
import { detectStaticSite } from './static-site.js';

export interface DetectOptions {
  /** The directory to build, relative to the root (`--app`); undefined = decide. */
  readonly app?: string;
  /** How to name the app setting in errors: `--app` or `pack.json:3 "app"`. */
  readonly appOrigin?: string;
  /**
   * The project's Dockerfile (`-f`): a path relative to the root, or the file already read by the
   * caller (when it lies outside the project). Default: `Dockerfile`, else `dockerfile`.
   */
  readonly dockerfile?: string | { readonly path: string; readonly text: string };
}

/** Directories never searched for subprojects: dependencies, build output, VCS, test data. */
const SKIP_DIRS = new Set(['node_modules', 'vendor', 'dist', 'build', 'target', 'venv', '__pycache__', 'test', 'tests', 'testdata', 'fixtures', 'examples', 'docs', 'site-packages']);

/** The ecosystems whose manifests are in `dir`, with the file that marks each. */
function markersIn(files: ProjectFiles, dir: string): Array<{ ecosystem: Subproject['ecosystem']; marker: string }> {
  const found: Array<{ ecosystem: Subproject['ecosystem']; marker: string }> = [];
  const file = (name: string): string | undefined => (isFile(files, joinPath(dir, name)) ? joinPath(dir, name) : undefined);
  const node = file('package.json');
  if (node) found.push({ ecosystem: 'node', marker: node });
  const python = pythonMarkers(files, dir)[0];
  if (python) found.push({ ecosystem: 'python', marker: python });
  const go = file('go.mod');
  if (go) found.push({ ecosystem: 'go', marker: go });
  const rust = file('Cargo.toml');
  if (rust) found.push({ ecosystem: 'rust', marker: rust });
  const java = javaMarkers(files, dir)[0];
  if (java) found.push({ ecosystem: 'java', marker: java });
  const ruby = file('Gemfile');
  if (ruby) found.push({ ecosystem: 'ruby', marker: ruby });
  return found;
}

/** Projects in the first two levels below the root, sorted by path. */
function findSubprojects(files: ProjectFiles): Subproject[] {
  const found: Subproject[] = [];
  const visit = (dir: string, depth: number): void => {
    for (const name of dirNames(files, dir)) {
      if (name.startsWith('.') || SKIP_DIRS.has(name)) continue;
      const child = joinPath(dir, name);
      const markers = markersIn(files, child);
      if (markers.length > 0) {
        for (const marker of markers) found.push({ path: child, ...marker });
        continue; // a project's own subdirectories are its business
      }
      if (depth > 1) visit(child, depth - 1);
    }
  };
  visit('', 2);
  return found.sort((a, b) => compareBytewise(a.path, b.path) || compareBytewise(a.ecosystem, b.ecosystem));
}

/** Node workspace members declared by the root package.json / pnpm-workspace.yaml. */
function rootWorkspaces(files: ProjectFiles): string[] {
  const pkg = readPackageJson(files, 'package.json');
  const list = pkg ? workspacePatterns(files, '', pkg.json) : undefined;
  return list ? expandWorkspaces(files, '', list.patterns) : [];
}

function ecosystemsAt(files: ProjectFiles, dir: string): EcosystemFacts[] {
  const found: EcosystemFacts[] = [];
  const node = detectNode(files, dir);
  if (node) found.push(node);
  const python = detectPython(files, dir);
  if (python) found.push(python);
  const go = detectGo(files, dir);
  if (go) found.push(go);
  const rust = detectRust(files, dir);
  if (rust) found.push(rust);
  const java = detectJava(files, dir);
  if (java) found.push(java);
  const ruby = detectRuby(files, dir);
  if (ruby) found.push(ruby);
  const site = detectStaticSite(files, dir);
  if (site) found.push(site);
  if (found.length === 0) found.push(detectGeneric(files, dir));
  return found;
}

export function detectProject(files: ProjectFiles, options: DetectOptions = {}): ProjectFacts {
  const warnings: FactWarning[] = [];
  const ambiguities: Ambiguity[] = [];
  // The project's own Dockerfile: given by the caller (-f, possibly outside the project), else
  // `Dockerfile`, else `dockerfile` (the docker CLI accepts both).
  let own: { path: string; text: string } | undefined;
  if (typeof options.dockerfile === 'object') own = options.dockerfile;
  else {
    for (const path of options.dockerfile !== undefined ? [options.dockerfile] : ['Dockerfile', 'dockerfile']) {
      const text = files.read(path);
      if (text !== undefined) {
        own = { path, text };
        break;
      }
    }
  }
  const gitignore = files.read('.gitignore');
  const common = {
    schemaVersion: 1 as const,
    ...(own ? { dockerfile: own } : {}),
    dockerignore: { present: isFile(files, '.dockerignore') },
    ...(gitignore !== undefined ? { gitignore } : {}),
  };

  let app: Detected<string>;
  let ecosystems: EcosystemFacts[];
  let subprojects: Subproject[] = [];
  if (options.app !== undefined && options.app !== '.' && options.app !== '') {
    const origin = options.appOrigin ?? '--app';
    const dir = normaliseProjectPath(options.app, origin);
    if (!isDir(files, dir)) {
      throw new UsageError('BAD_APP_PATH', `${origin}: ${dir} is not a directory in the project`, { hint: 'give the path of the app, relative to the project directory' });
    }
    app = { value: dir, reason: origin };
    if (rootWorkspaces(files).includes(dir)) {
      const node = detectNode(files, '', dir);
      ecosystems = node ? [node] : [];
      app = { value: dir, reason: `${origin} (a workspace of the root package.json: installed from the root lockfile)` };
    } else if (isFile(files, 'go.mod') && !isFile(files, joinPath(dir, 'go.mod'))) {
      const go = detectGo(files, '', dir);
      ecosystems = go ? [go] : [];
      app = { value: dir, reason: `${origin} (a package of the root Go module)` };
    } else {
      ecosystems = ecosystemsAt(files, dir);
    }
  } else {
    ecosystems = ecosystemsAt(files, '');
    app = { value: '.', reason: 'the project root' };
    if (ecosystems.every((facts) => facts.ecosystem === 'generic')) {
      subprojects = findSubprojects(files);
      const dirs = [...new Set(subprojects.map((project) => project.path))];
      if (dirs.length === 1) {
        const dir = dirs[0] as string;
        const only = ecosystemsAt(files, dir);
        if (only.some((facts) => facts.ecosystem !== 'generic')) {
          ecosystems = only;
          app = { value: dir, reason: `no manifest at the root; ${dir} is the only project in the tree`, file: subprojects[0]?.marker as string };
          warnings.push({ code: 'app-subdirectory', message: `no manifest at the project root: building ${dir}, the only project found (say so with --app ${dir})` });
        }
      } else if (dirs.length > 1) {
        ambiguities.push({
          key: 'app',
          message: `no manifest at the project root, and ${dirs.length} projects below it`,
          candidates: subprojects.map((project) => `${project.path} (${project.ecosystem}: ${project.marker})`),
          override: '--app PATH, or "app" in pack.json',
        });
      }
    }
  }
  const procfile = readProcfile(files, app.value === '.' ? '' : app.value);
  return {
    ...common,
    app,
    ...(procfile ? { procfile } : {}),
    ecosystems,
    subprojects,
    warnings,
    ambiguities,
  };
}
