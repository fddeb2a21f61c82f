/**
 * Go modules: go.mod (module path, `go` and `toolchain` directives), go.sum, vendor/, and which
 * package is the program. Main package precedence: `--app DIR` naming a directory of the module >
 * the module root when it is `package main` > the only directory under cmd/ > the only other
 * top-level directory with `package main`; several → ambiguity.
 */
import { execCommand } from './command.js';
import type { Ambiguity, Detected, FactWarning, PortFact, StartFact } from './facts.js';
import { lineOf } from './manifest-parse.js';
import { scanPort } from './port-hints.js';
import { dirNames, fileNames, isDir, isFile, joinPath, type ProjectFiles } from './project-files.js';

export interface GoFacts {
  readonly ecosystem: 'go';
  readonly root: string;
  readonly markers: readonly string[];
  readonly module: string;
  readonly goVersion?: Detected<string>;
  /** Files copied before `go mod download`, relative to `root`. */
  readonly manifests: readonly string[];
  /** Undefined when nothing needs downloading (vendored, or no requirements). */
  readonly download?: Detected<string>;
  readonly vendored: boolean;
  /** The package to build, as a `go build` argument (`.`, `./cmd/api`). */
  readonly mainPackage: Detected<string> | Ambiguity;
  /** The binary's name inside the image. */
  readonly binary: string;
  readonly start?: StartFact;
  readonly port?: PortFact;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

function isMainPackage(files: ProjectFiles, dir: string): boolean {
  return fileNames(files, dir)
    .filter((name) => name.endsWith('.go') && !name.endsWith('_test.go'))
    .some((name) => /^package main\b/m.test(files.read(joinPath(dir, name)) ?? ''));
}

function findMainPackages(files: ProjectFiles, root: string): { chosen?: Detected<string>; candidates: string[] } {
  if (isMainPackage(files, root)) {
    return { chosen: { value: '.', reason: 'the module root is package main', file: joinPath(root, 'go.mod') }, candidates: ['.'] };
  }
  const cmd = dirNames(files, joinPath(root, 'cmd')).filter((name) => isMainPackage(files, joinPath(root, `cmd/${name}`)));
  if (cmd.length === 1) {
    return { chosen: { value: `./cmd/${cmd[0]}`, reason: `cmd/${cmd[0]} is the only program under cmd/`, file: joinPath(root, `cmd/${cmd[0]}`) }, candidates: [`./cmd/${cmd[0]}`] };
  }
  if (cmd.length > 1) return { candidates: cmd.map((name) => `./cmd/${name}`) };
  const others = dirNames(files, root).filter((name) => !name.startsWith('.') && name !== 'vendor' && name !== 'testdata' && isMainPackage(files, joinPath(root, name)));
  if (others.length === 1) {
    return { chosen: { value: `./${others[0]}`, reason: `${others[0]}/ is the only package main in the module`, file: joinPath(root, others[0] as string) }, candidates: [`./${others[0]}`] };
  }
  return { candidates: others.map((name) => `./${name}`) };
}

/** `member`: a directory inside the module chosen with --app (relative to `root`). */
export function detectGo(files: ProjectFiles, root: string, member?: string): GoFacts | undefined {
  const goModPath = joinPath(root, 'go.mod');
  const goMod = files.read(goModPath);
  if (goMod === undefined) return undefined;
  const warnings: FactWarning[] = [];
  const ambiguities: Ambiguity[] = [];
  const module = /^module\s+(\S+)/m.exec(goMod)?.[1]?.replace(/^"|"$/g, '') ?? 'app';
  const goDirective = /^go\s+(\d+\.\d+(?:\.\d+)?)/m.exec(goMod)?.[1];
  const toolchain = /^toolchain\s+go(\d+\.\d+(?:\.\d+)?)/m.exec(goMod)?.[1];
  const goVersion: Detected<string> | undefined = toolchain
    ? { value: toolchain, reason: `go.mod toolchain go${toolchain}`, file: `${goModPath}:${lineOf(goMod, /^toolchain\s/) ?? 1}`, ...(goDirective ? { over: [`go ${goDirective}`] } : {}) }
    : goDirective
      ? {
          value: goDirective.split('.').slice(0, 2).join('.'),
          reason: `go.mod go ${goDirective} (a minimum) → the latest Go ${goDirective.split('.').slice(0, 2).join('.')} release`,
          file: `${goModPath}:${lineOf(goMod, /^go\s/) ?? 1}`,
        }
      : undefined;

  const vendored = isDir(files, joinPath(root, 'vendor')) && isFile(files, joinPath(root, 'vendor/modules.txt'));
  const requires = /^require\s/m.test(goMod);
  const hasSum = isFile(files, joinPath(root, 'go.sum'));
  const manifests = ['go.mod'];
  if (hasSum) manifests.push('go.sum');
  let download: Detected<string> | undefined;
  if (vendored) {
    // Nothing to download: `go build` uses vendor/ (the default when vendor/modules.txt exists).
  } else if (requires) {
    download = { value: 'go mod download', reason: `go.mod requires modules → go mod download${hasSum ? ', checked against go.sum' : ''}`, file: goModPath };
    if (!hasSum) warnings.push({ code: 'no-lockfile', message: 'go.mod has requirements but there is no go.sum: downloads are not verified, and the build fails with "missing go.sum entry"', file: goModPath });
  }

  let mainPackage: Detected<string> | Ambiguity;
  if (member !== undefined) {
    mainPackage = isMainPackage(files, joinPath(root, member))
      ? { value: `./${member}`, reason: `--app ${member}`, file: joinPath(root, member) }
      : { key: 'app', message: `${joinPath(root, member)} is not a package main`, candidates: findMainPackages(files, root).candidates, override: '--app DIR naming a package main' };
  } else {
    const found = findMainPackages(files, root);
    mainPackage = found.chosen ?? {
      key: 'app',
      message: found.candidates.length > 0 ? `${goModPath}: several programs in the module` : `${goModPath}: no package main found`,
      candidates: found.candidates,
      override: '--app DIR (e.g. --app cmd/api), or "app" in pack.json',
    };
  }
  const mainDir = 'value' in mainPackage ? joinPath(root, mainPackage.value.replace(/^\.\/?/, '')) : undefined;
  const binary = 'value' in mainPackage && mainPackage.value !== '.' ? (mainPackage.value.split('/').pop() as string) : (module.split('/').pop() ?? 'app').replace(/[^A-Za-z0-9._-]/g, '') || 'app';

  // Port: the first literal ":N" in the main package; when it also reads PORT, the env wins.
  let port: PortFact | undefined;
  if (mainDir !== undefined) {
    for (const name of fileNames(files, mainDir).filter((file) => file.endsWith('.go') && !file.endsWith('_test.go'))) {
      const path = joinPath(mainDir, name);
      const text = files.read(path) ?? '';
      const scan = scanPort(path, text, 'go');
      warnings.push(...scan.warnings);
      if (scan.port && !port) {
        port = /Getenv\("PORT"\)/.test(text) ? { ...scan.port, reason: `${path} reads $PORT, falling back to ${scan.port.value}`, via: { kind: 'env', name: 'PORT' } } : scan.port;
      }
    }
  }
  // A Procfile in a Go project names buildpack paths (bin/NAME); the image runs the binary it builds.
  const start: StartFact | undefined =
    'value' in mainPackage
      ? { value: execCommand(`/app/${binary}`), reason: `the binary built from ${mainPackage.value}`, ...(mainPackage.file ? { file: mainPackage.file } : {}), ...(port ? { port } : {}) }
      : undefined;
  return {
    ecosystem: 'go',
    root,
    markers: [goModPath],
    module,
    ...(goVersion ? { goVersion } : {}),
    manifests,
    ...(download ? { download } : {}),
    vendored,
    mainPackage,
    binary,
    ...(start ? { start } : {}),
    ...(port ? { port } : {}),
    warnings,
    ambiguities,
  };
}
