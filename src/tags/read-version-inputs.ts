/**
 * Reads what decideVersion() and computeTagSet() decide from: the git tags (on HEAD, and all of
 * them), and the version fields of package.json / pyproject.toml at the project root. Not a git
 * work tree, or no git installed: no tags, silently (the version then comes from the manifests).
 */
import { execFile } from 'node:child_process';
import { isObject, objectField, parseJsonObject, parseTomlText, stringArrayField, stringField } from '../detect/manifest-parse.js';
import type { ProjectFiles } from '../detect/project-files.js';
import type { VersionInputs } from './version.js';

export interface GitTags {
  readonly head: readonly string[];
  readonly all: readonly string[];
}

function git(cwd: string, args: string[], signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', cwd, ...args], { timeout: 10_000, maxBuffer: 64 * 1024 * 1024, ...(signal ? { signal } : {}) }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });
}

const lines = (text: string | undefined): string[] => (text ?? '').split('\n').map((line) => line.trim()).filter((line) => line !== '');

/** `git tag --points-at HEAD` (annotated tags peeled) and `git tag --list`. */
export async function readGitTags(dir: string, signal?: AbortSignal): Promise<GitTags> {
  const [head, all] = await Promise.all([git(dir, ['tag', '--points-at', 'HEAD'], signal), git(dir, ['tag', '--list'], signal)]);
  return { head: lines(head), all: lines(all) };
}

/** The manifest parts of VersionInputs, from the project root. A manifest that does not parse is a usage error naming it. */
export function readManifestVersions(files: ProjectFiles): Pick<VersionInputs, 'packageJson' | 'pyproject'> {
  const result: { packageJson?: VersionInputs['packageJson']; pyproject?: VersionInputs['pyproject'] } = {};
  const pkgText = files.read('package.json');
  if (pkgText !== undefined) {
    const version = stringField(parseJsonObject('package.json', pkgText), 'version');
    result.packageJson = { path: 'package.json', ...(version !== undefined ? { version } : {}) };
  }
  const pyText = files.read('pyproject.toml');
  if (pyText !== undefined) {
    const toml = parseTomlText('pyproject.toml', pyText);
    const project = objectField(toml, 'project');
    const tool = objectField(toml, 'tool');
    const poetry = isObject(tool?.['poetry']) ? (tool?.['poetry'] as Record<string, unknown>) : undefined;
    const projectVersion = stringField(project, 'version');
    const poetryVersion = poetry ? stringField(poetry, 'version') : undefined;
    result.pyproject = {
      path: 'pyproject.toml',
      ...(projectVersion !== undefined ? { projectVersion } : {}),
      ...(poetryVersion !== undefined ? { poetryVersion } : {}),
      dynamic: stringArrayField(project, 'dynamic').includes('version'),
    };
  }
  return result;
}
