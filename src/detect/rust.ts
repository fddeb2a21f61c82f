/**
 * Rust (Cargo) projects. The dependency layer is cached the classic way: build the dependencies
 * against stub sources with only Cargo.toml and Cargo.lock present, then copy the real code and
 * build again (cargo rebuilds only the crate itself). Binary precedence: `package.default-run` > the
 * only binary target > ambiguity. A Cargo workspace cannot use stubs this simply: it is built in one
 * step after the code, with a warning.
 */
import { execCommand } from './command.js';
import type { Ambiguity, Detected, FactWarning, PortFact, StartFact } from './facts.js';
import { lineOf, objectField, parseTomlText, stringField } from './manifest-parse.js';
import { scanPort } from './port-hints.js';
import { fileNames, isFile, joinPath, type ProjectFiles } from './project-files.js';

export interface RustFacts {
  readonly ecosystem: 'rust';
  readonly root: string;
  readonly markers: readonly string[];
  readonly packageName: string;
  readonly rustVersion?: Detected<string>;
  readonly lockfile: Detected<string | null>;
  /** Files copied before the dependency build, relative to `root`. */
  readonly manifests: readonly string[];
  /** Target sources (relative to `root`) replaced by stubs for the dependency build; `lib.rs` files get an empty stub. */
  readonly stubs: readonly string[];
  /** False for workspaces: no separate dependency layer. */
  readonly cachedDependencies: boolean;
  readonly binary: Detected<string> | Ambiguity;
  /** Crates in Cargo.lock that link system libraries the runtime image must carry. */
  readonly nativeDeps: readonly string[];
  readonly start?: StartFact;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

export function detectRust(files: ProjectFiles, root: string): RustFacts | undefined {
  const cargoPath = joinPath(root, 'Cargo.toml');
  const cargoText = files.read(cargoPath);
  if (cargoText === undefined) return undefined;
  const cargo = parseTomlText(cargoPath, cargoText);
  const warnings: FactWarning[] = [];
  const ambiguities: Ambiguity[] = [];
  const pkg = objectField(cargo, 'package');
  const workspace = objectField(cargo, 'workspace');
  const packageName = stringField(pkg, 'name') ?? 'app';
  const lockPath = joinPath(root, 'Cargo.lock');
  const lockText = files.read(lockPath);
  const lockfile: Detected<string | null> = lockText !== undefined ? { value: 'Cargo.lock', reason: 'Cargo.lock pins every crate (cargo build --locked)', file: lockPath } : { value: null, reason: 'no Cargo.lock' };
  if (lockText === undefined) {
    warnings.push({ code: 'no-lockfile', message: 'no Cargo.lock: crate versions are resolved at build time, so the image is not reproducible (commit Cargo.lock for binaries)', file: cargoPath });
  }

  // Version: rust-toolchain.toml's channel (when it is a version) > rust-version > default.
  let rustVersion: Detected<string> | undefined;
  for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
    const path = joinPath(root, name);
    const text = files.read(path);
    if (text === undefined) continue;
    const channel = name.endsWith('.toml') ? stringField(objectField(parseTomlText(path, text), 'toolchain'), 'channel') : text.trim();
    if (channel && /^\d+\.\d+(\.\d+)?$/.test(channel)) rustVersion = { value: channel, reason: `${name} channel ${channel}`, file: path };
    else if (channel) warnings.push({ code: 'rust-channel', message: `${path}: channel ${JSON.stringify(channel)} is not a version; the image uses pack's default Rust`, file: path });
    break;
  }
  const rustVersionField = stringField(pkg, 'rust-version');
  if (!rustVersion && rustVersionField) {
    const minor = rustVersionField.split('.').slice(0, 2).join('.');
    rustVersion = { value: minor, reason: `Cargo.toml rust-version ${rustVersionField} (a minimum) → Rust ${minor}`, file: `${cargoPath}:${lineOf(cargoText, /^rust-version\s*=/) ?? 1}` };
  }

  // Binary targets: [[bin]] entries, src/main.rs (named after the package), src/bin/*.rs.
  const bins = new Set<string>();
  const binTable = cargo['bin'];
  if (Array.isArray(binTable)) {
    for (const bin of binTable) {
      const name = typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>)['name'] : undefined;
      if (typeof name === 'string') bins.add(name);
    }
  }
  if (isFile(files, joinPath(root, 'src/main.rs'))) bins.add(packageName);
  for (const name of fileNames(files, joinPath(root, 'src/bin'))) if (name.endsWith('.rs')) bins.add(name.slice(0, -3));
  const defaultRun = stringField(pkg, 'default-run');
  const sortedBins = [...bins].sort();
  let binary: Detected<string> | Ambiguity;
  if (defaultRun) binary = { value: defaultRun, reason: `Cargo.toml default-run = "${defaultRun}"`, file: `${cargoPath}:${lineOf(cargoText, /^default-run\s*=/) ?? 1}`, ...(sortedBins.length > 1 ? { over: sortedBins.filter((bin) => bin !== defaultRun) } : {}) };
  else if (sortedBins.length === 1) binary = { value: sortedBins[0] as string, reason: `the crate's only binary target, "${sortedBins[0]}"`, file: cargoPath };
  else if (workspace && sortedBins.length === 0) {
    binary = { key: 'app', message: `${cargoPath} is a workspace without a root package`, candidates: stringArray(workspace['members']), override: '--app MEMBER_DIR, or "app" in pack.json' };
  } else {
    binary = {
      key: 'start',
      message: sortedBins.length === 0 ? `${cargoPath}: no binary target (src/main.rs, [[bin]], src/bin/*.rs)` : `${cargoPath} has several binaries: ${sortedBins.join(', ')}`,
      candidates: sortedBins,
      override: 'default-run in Cargo.toml [package] (or --cmd /app/NAME)',
    };
  }
  const cachedDependencies = workspace === undefined;
  if (!cachedDependencies) {
    warnings.push({ code: 'cargo-workspace', message: `${cargoPath} is a workspace: dependencies are compiled with the code in one layer (no separate cached dependency layer)`, file: cargoPath });
  }
  // Every target source cargo will look for: stubs stand in for them during the dependency build.
  const stubs = new Set<string>();
  if (isFile(files, joinPath(root, 'src/main.rs'))) stubs.add('src/main.rs');
  if (isFile(files, joinPath(root, 'src/lib.rs'))) stubs.add('src/lib.rs');
  for (const name of fileNames(files, joinPath(root, 'src/bin'))) if (name.endsWith('.rs')) stubs.add(`src/bin/${name}`);
  const libPath = stringField(objectField(cargo, 'lib'), 'path');
  if (libPath) stubs.add(libPath.replace(/^\.\//, ''));
  if (Array.isArray(binTable)) {
    for (const bin of binTable) {
      const path = typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>)['path'] : undefined;
      if (typeof path === 'string') stubs.add(path.replace(/^\.\//, ''));
    }
  }
  const manifests = lockText !== undefined ? ['Cargo.toml', 'Cargo.lock'] : ['Cargo.toml'];
  // A build script runs during the dependency build too, so it travels with the manifests.
  const buildScript = stringField(pkg, 'build') ?? (isFile(files, joinPath(root, 'build.rs')) ? 'build.rs' : undefined);
  if (buildScript && isFile(files, joinPath(root, buildScript))) manifests.push(buildScript);
  const nativeDeps = lockText === undefined ? [] : ['openssl-sys'].filter((crate) => new RegExp(`^name = "${crate}"$`, 'm').test(lockText));

  let port: PortFact | undefined;
  const mainFile = joinPath(root, 'src/main.rs');
  const mainText = files.read(mainFile);
  if (mainText !== undefined) {
    const scan = scanPort(mainFile, mainText, 'rust');
    warnings.push(...scan.warnings);
    port = scan.port;
  }
  const start: StartFact | undefined =
    'value' in binary ? { value: execCommand(`/app/${binary.value}`), reason: `the binary "${binary.value}" (${binary.reason})`, ...(binary.file ? { file: binary.file } : {}), ...(port ? { port } : {}) } : undefined;
  return {
    ecosystem: 'rust',
    root,
    markers: [cargoPath],
    packageName,
    ...(rustVersion ? { rustVersion } : {}),
    lockfile,
    manifests,
    stubs: [...stubs].sort(),
    cachedDependencies,
    binary,
    nativeDeps,
    ...(start ? { start } : {}),
    warnings,
    ambiguities,
  };
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string').sort() : [];
}
