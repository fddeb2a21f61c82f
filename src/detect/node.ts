/**
 * Node.js projects: package.json, the lockfile that says which package manager installs them, the
 * Node version the project asks for, its build script and how it starts.
 *
 * Precedence (documented in README, asserted in test/unit/detect-node.test.ts):
 *  - package manager: package.json `packageManager` (corepack's field) > the one lockfile present >
 *    npm when there is none (with a warning); two lockfiles and no `packageManager` is an ambiguity.
 *  - Node version: .nvmrc > .node-version > package.json `volta.node` > `engines.node` > default.
 *  - start: Procfile > `scripts.start` > `main` > server.js (npm's own default for `npm start`).
 */
import { execCommand, parseCommand } from './command.js';
import type { Ambiguity, Command, Detected, FactWarning, StartFact } from './facts.js';
import { isObject, lineOf, objectField, parseJsonObject, parseYamlText, stringArrayField, stringField, type JsonObject } from './manifest-parse.js';
import { scanPort } from './port-hints.js';
import { procfileStart, readProcfile } from './procfile.js';
import { compareBytewise, dirNames, isDir, isFile, joinPath, type ProjectFiles } from './project-files.js';
import { firstValueLine, resolveNodeVersion } from './runtime-version.js';

export type NodePackageManager = 'npm' | 'yarn' | 'yarn-berry' | 'pnpm' | 'bun';

export interface NodeFacts {
  readonly ecosystem: 'node';
  /** The directory holding the lockfile and the install (relative to the project root, `''` = root). */
  readonly root: string;
  /** The package being run, relative to `root` (`''` unless a workspace member was chosen). */
  readonly member: string;
  readonly markers: readonly string[];
  readonly packageName?: string;
  readonly packageManager: Detected<NodePackageManager>;
  readonly lockfile: Detected<string | null>;
  /** Undefined when the project does not say: the plan uses pack's default and warns. */
  readonly nodeVersion?: Detected<string>;
  /** Bun projects: the Bun version for the image tag. */
  readonly bunVersion?: Detected<string>;
  /** RUN steps before the install (installing pnpm, enabling corepack), each with its reason. */
  readonly setup: readonly Detected<string>[];
  /** Files copied before the install, relative to `root`, in copy order. */
  readonly manifests: readonly string[];
  /** Production-only install, or the full install with a reason when production-only is impossible. */
  readonly install: Detected<string>;
  /** The install the build stage uses (dev dependencies included). */
  readonly installAll: Detected<string>;
  /** False for Yarn Plug'n'Play, whose dependency map is not a node_modules folder pack can swap. */
  readonly nodeModules: boolean;
  readonly build?: Detected<string>;
  readonly start?: StartFact | Ambiguity;
  /** Workspace member directories, relative to `root`, sorted. */
  readonly workspaces: readonly string[];
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

const LOCKFILES: ReadonlyArray<readonly [string, NodePackageManager]> = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

const MANAGER_NAMES: Record<NodePackageManager, string> = {
  npm: 'npm',
  yarn: 'Yarn (classic)',
  'yarn-berry': 'Yarn (Berry)',
  pnpm: 'pnpm',
  bun: 'Bun',
};

/** How each manager runs a package script, and how it installs (frozen = from the lockfile). */
function runScript(manager: NodePackageManager, script: string, workspace?: { dir: string; name: string }): string {
  if (!workspace) {
    return manager === 'npm' ? `npm run ${script}` : manager === 'bun' ? `bun run ${script}` : `${manager === 'yarn-berry' ? 'yarn' : manager} run ${script}`;
  }
  switch (manager) {
    case 'npm':
      return `npm run ${script} --workspace ${workspace.dir}`;
    case 'yarn':
    case 'yarn-berry':
      return `yarn workspace ${workspace.name} run ${script}`;
    case 'pnpm':
      return `pnpm --filter ${workspace.name} run ${script}`;
    case 'bun':
      return `bun run --filter ${workspace.name} ${script}`;
  }
}

export function readPackageJson(files: ProjectFiles, path: string): { json: JsonObject; text: string } | undefined {
  const text = files.read(path);
  if (text === undefined) return undefined;
  return { json: parseJsonObject(path, text), text };
}

/** The workspace patterns of a root package.json or pnpm-workspace.yaml, with the file that lists them. */
export function workspacePatterns(files: ProjectFiles, root: string, pkg: JsonObject): { patterns: string[]; file: string } | undefined {
  const pnpmPath = joinPath(root, 'pnpm-workspace.yaml');
  const pnpmText = files.read(pnpmPath);
  if (pnpmText !== undefined) {
    const doc = parseYamlText(pnpmPath, pnpmText);
    const packages = isObject(doc) ? stringArrayField(doc, 'packages') : [];
    if (packages.length > 0) return { patterns: packages, file: pnpmPath };
  }
  const field = pkg['workspaces'];
  const patterns = Array.isArray(field) ? stringArrayField(pkg, 'workspaces') : stringArrayField(objectField(pkg, 'workspaces'), 'packages');
  return patterns.length > 0 ? { patterns, file: joinPath(root, 'package.json') } : undefined;
}

/**
 * Expands workspace globs the way npm does for the shapes projects use: `dir`, `dir/*`, `dir/**`,
 * with `!` exclusions. A member is a directory with a package.json.
 */
export function expandWorkspaces(files: ProjectFiles, root: string, patterns: readonly string[]): string[] {
  const members = new Set<string>();
  const walk = (dir: string, depth: number, out: Set<string>): void => {
    for (const name of dirNames(files, joinPath(root, dir))) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const child = joinPath(dir, name);
      if (isFile(files, joinPath(root, joinPath(child, 'package.json')))) out.add(child);
      if (depth > 1) walk(child, depth - 1, out);
    }
  };
  const expand = (pattern: string): Set<string> => {
    const out = new Set<string>();
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const star = clean.indexOf('*');
    if (star < 0) {
      if (isFile(files, joinPath(root, joinPath(clean, 'package.json')))) out.add(clean);
      return out;
    }
    const base = clean.slice(0, star).replace(/\/$/, '');
    const rest = clean.slice(star);
    if (rest === '*') walk(base, 1, out);
    else if (rest === '**' || rest === '**/*') walk(base, 4, out);
    else {
      // `packages/*-service`: one level, names matched against the glob.
      const regex = new RegExp(`^${rest.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      for (const name of dirNames(files, joinPath(root, base))) {
        const child = joinPath(base, name);
        if (regex.test(name) && isFile(files, joinPath(root, joinPath(child, 'package.json')))) out.add(child);
      }
    }
    return out;
  };
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) for (const member of expand(pattern.slice(1))) members.delete(member);
    else for (const member of expand(pattern)) members.add(member);
  }
  return [...members].sort(compareBytewise);
}

function chooseManager(files: ProjectFiles, root: string, pkg: JsonObject, pkgPath: string, warnings: FactWarning[], ambiguities: Ambiguity[]) {
  const present = LOCKFILES.filter(([file]) => isFile(files, joinPath(root, file)));
  const declared = stringField(pkg, 'packageManager');
  const declaredMatch = declared ? /^(npm|yarn|pnpm|bun)@(\d[^+\s]*)/.exec(declared) : null;
  const yarnrc = files.read(joinPath(root, '.yarnrc.yml'));
  const berryFromLock = (): boolean => {
    const lock = files.read(joinPath(root, 'yarn.lock'));
    return lock !== undefined && /^__metadata:/m.test(lock);
  };
  let manager: NodePackageManager;
  let managerReason: string;
  let managerFile: string | undefined;
  let managerVersion: string | undefined;
  let over: string[] | undefined;
  if (declaredMatch) {
    const name = declaredMatch[1] as string;
    managerVersion = declaredMatch[2] as string;
    manager = name === 'yarn' ? (Number(managerVersion.split('.')[0]) >= 2 ? 'yarn-berry' : 'yarn') : (name as NodePackageManager);
    managerReason = `package.json "packageManager": "${declared}"`;
    managerFile = pkgPath;
    const others = present.filter(([, m]) => m !== (manager === 'yarn-berry' ? 'yarn' : manager)).map(([file]) => file);
    if (others.length > 0) over = others;
  } else {
    if (declared) {
      warnings.push({ code: 'bad-package-manager-field', message: `${pkgPath}: "packageManager": ${JSON.stringify(declared)} is not name@version; ignored`, file: pkgPath });
    }
    const managers = [...new Set(present.map(([, m]) => m))];
    if (managers.length > 1) {
      ambiguities.push({
        key: 'packageManager',
        message: `lockfiles of several package managers: ${present.map(([file]) => joinPath(root, file)).join(', ')}`,
        candidates: present.map(([file, m]) => `${m} (${joinPath(root, file)})`),
        override: 'a "packageManager" field in package.json (e.g. "npm@10.8.2"), or delete the stale lockfile',
      });
    }
    const first = present[0];
    if (first) {
      manager = first[1] === 'yarn' && (berryFromLock() || yarnrc !== undefined) ? 'yarn-berry' : first[1];
      managerReason =
        manager === 'yarn-berry'
          ? `${first[0]} found${berryFromLock() ? ' (Berry format: __metadata)' : ' with .yarnrc.yml'} → Yarn Berry`
          : `${first[0]} found → ${MANAGER_NAMES[manager]}`;
      managerFile = joinPath(root, first[0]);
    } else {
      manager = 'npm';
      managerReason = 'no lockfile → npm (the manager Node.js ships)';
    }
  }
  const lockfileEntry = present.find(([, m]) => m === (manager === 'yarn-berry' ? 'yarn' : manager));
  return { manager, managerReason, managerFile, managerVersion, over, lockfileEntry, yarnrc };
}

/** Detects a Node project whose package.json is at `root/member`, installed from `root`. */
export function detectNode(files: ProjectFiles, root: string, member = ''): NodeFacts | undefined {
  const rootPkgPath = joinPath(root, 'package.json');
  const rootPkg = readPackageJson(files, rootPkgPath);
  if (!rootPkg) return undefined;
  const appDir = joinPath(root, member);
  const appPkgPath = joinPath(appDir, 'package.json');
  const appPkg = member === '' ? rootPkg : readPackageJson(files, appPkgPath);
  if (!appPkg) return undefined;
  const warnings: FactWarning[] = [];
  const ambiguities: Ambiguity[] = [];
  const pkg = rootPkg.json;

  const workspaceList = workspacePatterns(files, root, pkg);
  const workspaces = workspaceList ? expandWorkspaces(files, root, workspaceList.patterns) : [];

  const chosen = chooseManager(files, root, pkg, rootPkgPath, warnings, ambiguities);
  const { manager, lockfileEntry } = chosen;
  const lockfileName = lockfileEntry?.[0];
  const lockfile: Detected<string | null> = lockfileName
    ? { value: lockfileName, reason: `${lockfileName} pins every dependency`, file: joinPath(root, lockfileName) }
    : { value: null, reason: `no ${manager === 'npm' ? 'package-lock.json' : `${MANAGER_NAMES[manager]} lockfile`}` };
  if (!lockfileName) {
    warnings.push({
      code: 'no-lockfile',
      message: `no lockfile for ${MANAGER_NAMES[manager]}: dependency versions are resolved at build time, so the image is not reproducible`,
      file: rootPkgPath,
    });
  }

  // Versions: Node, or Bun for Bun projects.
  let nodeVersion: Detected<string> | undefined;
  let bunVersion: Detected<string> | undefined;
  if (manager === 'bun') {
    bunVersion = chosen.managerVersion
      ? { value: chosen.managerVersion, reason: `package.json "packageManager" → Bun ${chosen.managerVersion}`, file: rootPkgPath }
      : { value: '1', reason: 'no Bun version declared → the Bun 1.x line' };
  } else {
    nodeVersion = detectNodeVersion(files, root, pkg, rootPkg.text, rootPkgPath);
  }

  // Manifests copied before the install: exactly what the package manager reads to install.
  const manifests: string[] = ['package.json'];
  if (lockfileName) manifests.push(lockfileName);
  if (manager === 'pnpm' && isFile(files, joinPath(root, 'pnpm-workspace.yaml'))) manifests.push('pnpm-workspace.yaml');
  const npmrcPath = joinPath(root, '.npmrc');
  const npmrc = files.read(npmrcPath);
  if (npmrc !== undefined) {
    if (/(_authToken|_auth|_password)\s*=/.test(npmrc)) {
      warnings.push({
        code: 'npmrc-token',
        message: `.npmrc holds a registry credential: it is left out of the image (and the generated .dockerignore); a private registry needs the token passed at build time`,
        file: npmrcPath,
      });
    } else {
      manifests.push('.npmrc');
    }
  }
  const setup: Detected<string>[] = [];
  let nodeModules = true;
  if (manager === 'yarn-berry') {
    const yarnrc = chosen.yarnrc ?? '';
    if (chosen.yarnrc !== undefined) manifests.push('.yarnrc.yml');
    const yarnPath = /^yarnPath:\s*["']?([^"'\s]+)/m.exec(yarnrc)?.[1];
    if (yarnPath && isFile(files, joinPath(root, yarnPath))) {
      manifests.push(yarnPath.replace(/^\.\//, ''));
    } else {
      setup.push({
        value: 'corepack enable',
        reason: 'Yarn Berry without a committed yarnPath release → corepack provides the version package.json names',
      });
    }
    if (isDir(files, joinPath(root, '.yarn/plugins'))) manifests.push('.yarn/plugins/');
    if (isDir(files, joinPath(root, '.yarn/patches'))) manifests.push('.yarn/patches/');
    nodeModules = /^nodeLinker:\s*["']?node-modules/m.test(yarnrc);
  }
  if (manager === 'pnpm') {
    const version: Detected<string> = chosen.managerVersion
      ? { value: chosen.managerVersion, reason: `package.json "packageManager" → pnpm ${chosen.managerVersion}`, file: rootPkgPath }
      : pnpmFromLockfile(files, root);
    setup.push(
      version.file
        ? { value: `npm install --global pnpm@${version.value}`, reason: version.reason, file: version.file }
        : { value: `npm install --global pnpm@${version.value}`, reason: version.reason },
    );
  }
  // Every workspace member's package.json: the install reads them all to link the workspace.
  for (const workspace of workspaces) manifests.push(`${workspace}/package.json`);

  const frozen = lockfileName !== undefined;
  const install = installCommands(manager, frozen, chosen.managerVersion, nodeModules);

  // Build and start come from the package being run.
  const app = appPkg.json;
  const scripts = objectField(app, 'scripts');
  const workspaceTarget = member === '' ? undefined : { dir: member, name: stringField(app, 'name') ?? member };
  const buildScript = stringField(scripts, 'build');
  const build: Detected<string> | undefined =
    buildScript !== undefined
      ? {
          value: runScript(manager, 'build', workspaceTarget),
          reason: `${appPkgPath} has scripts.build (${JSON.stringify(buildScript)})`,
          file: appPkgPath,
        }
      : undefined;

  const start = detectNodeStart(files, appDir, app, appPkg.text, appPkgPath, manager, nodeModules, warnings);
  if (member === '' && workspaces.length > 0 && start === undefined) {
    // Members that can run (a start script or a main file) are the candidates; libraries are not.
    const runnable = workspaces.filter((workspace) => {
      const memberPkg = readPackageJson(files, joinPath(root, `${workspace}/package.json`))?.json;
      return stringField(objectField(memberPkg, 'scripts'), 'start') !== undefined || isFile(files, joinPath(root, `${workspace}/server.js`));
    });
    ambiguities.push({
      key: 'app',
      message: `${workspaceList?.file ?? rootPkgPath} declares workspaces and the root package has no start command`,
      candidates: (runnable.length > 0 ? runnable : workspaces).map((workspace) => joinPath(root, workspace)),
      override: '--app PATH, or "app" in pack.json',
    });
  }

  const facts: NodeFacts = {
    ecosystem: 'node',
    root,
    member,
    markers: [rootPkgPath],
    ...(stringField(app, 'name') !== undefined ? { packageName: stringField(app, 'name') as string } : {}),
    packageManager: {
      value: manager,
      reason: chosen.managerReason,
      ...(chosen.managerFile ? { file: chosen.managerFile } : {}),
      ...(chosen.over ? { over: chosen.over } : {}),
    },
    lockfile,
    ...(nodeVersion ? { nodeVersion } : {}),
    ...(bunVersion ? { bunVersion } : {}),
    setup,
    manifests,
    install: install.production,
    installAll: install.all,
    nodeModules,
    ...(build ? { build } : {}),
    ...(start ? { start } : {}),
    workspaces,
    warnings,
    ambiguities,
  };
  return facts;
}

function installCommands(manager: NodePackageManager, frozen: boolean, managerVersion: string | undefined, nodeModules: boolean) {
  const detected = (value: string, reason: string): Detected<string> => ({ value, reason });
  switch (manager) {
    case 'npm':
      return frozen
        ? {
            production: detected('npm ci --omit=dev && npm cache clean --force', 'lockfile → npm ci installs exactly the locked versions; --omit=dev leaves dev dependencies out'),
            all: detected('npm ci', 'lockfile → npm ci, dev dependencies included for the build'),
          }
        : {
            production: detected('npm install --omit=dev && npm cache clean --force', 'no lockfile → npm install resolves versions now (not reproducible)'),
            all: detected('npm install', 'no lockfile → npm install, dev dependencies included for the build'),
          };
    case 'yarn':
      return frozen
        ? {
            production: detected('yarn install --frozen-lockfile --production && yarn cache clean', 'yarn.lock → yarn install --frozen-lockfile (fails instead of changing the lockfile)'),
            all: detected('yarn install --frozen-lockfile', 'yarn.lock → frozen install, dev dependencies included for the build'),
          }
        : {
            production: detected('yarn install --production && yarn cache clean', 'no yarn.lock → yarn install resolves versions now (not reproducible)'),
            all: detected('yarn install', 'no yarn.lock → yarn install, dev dependencies included for the build'),
          };
    case 'yarn-berry': {
      const flag = frozen ? ' --immutable' : '';
      const major = Number((managerVersion ?? '0').split('.')[0]);
      // `workspaces focus --production` is built into Yarn 4; earlier Berry releases need a plugin.
      if (major >= 4 && nodeModules) {
        return {
          production: detected('yarn workspaces focus --all --production', 'Yarn 4 → workspaces focus --production installs production dependencies only'),
          all: detected(`yarn install${flag}`, `yarn.lock → yarn install${flag}`),
        };
      }
      const full = detected(
        `yarn install${flag}`,
        `${frozen ? 'yarn.lock → yarn install --immutable' : 'no yarn.lock → yarn install (not reproducible)'}; Yarn Berry${major >= 4 ? " with Plug'n'Play" : ' before 4'} has no production-only install here, so dev dependencies are included`,
      );
      return { production: full, all: full };
    }
    case 'pnpm':
      return frozen
        ? {
            production: detected('pnpm install --frozen-lockfile --prod', 'pnpm-lock.yaml → pnpm install --frozen-lockfile; --prod leaves dev dependencies out'),
            all: detected('pnpm install --frozen-lockfile', 'pnpm-lock.yaml → frozen install, dev dependencies included for the build'),
          }
        : {
            production: detected('pnpm install --prod', 'no pnpm-lock.yaml → pnpm install resolves versions now (not reproducible)'),
            all: detected('pnpm install', 'no pnpm-lock.yaml → pnpm install, dev dependencies included for the build'),
          };
    case 'bun':
      return frozen
        ? {
            production: detected('bun install --frozen-lockfile --production', 'bun lockfile → bun install --frozen-lockfile; --production leaves dev dependencies out'),
            all: detected('bun install --frozen-lockfile', 'bun lockfile → frozen install, dev dependencies included for the build'),
          }
        : {
            production: detected('bun install --production', 'no bun lockfile → bun install resolves versions now (not reproducible)'),
            all: detected('bun install', 'no bun lockfile → bun install, dev dependencies included for the build'),
          };
  }
}

/** pnpm's major from the lockfile format, when package.json does not name a version. */
function pnpmFromLockfile(files: ProjectFiles, root: string): Detected<string> {
  const path = joinPath(root, 'pnpm-lock.yaml');
  const text = files.read(path);
  const version = text ? /^lockfileVersion:\s*['"]?([\d.]+)/m.exec(text)?.[1] : undefined;
  const major = version === undefined ? undefined : Number(version.split('.')[0]);
  const pnpm = major === undefined ? '9' : major >= 9 ? '9' : major === 6 ? '8' : '7';
  return version === undefined
    ? { value: pnpm, reason: `no pnpm version declared → pnpm ${pnpm}` }
    : { value: pnpm, reason: `pnpm-lock.yaml lockfileVersion ${version} → pnpm ${pnpm}`, file: path };
}

function detectNodeVersion(files: ProjectFiles, root: string, pkg: JsonObject, pkgText: string, pkgPath: string): Detected<string> | undefined {
  const candidates: Array<{ input: string; file: string; what: string }> = [];
  for (const name of ['.nvmrc', '.node-version']) {
    const path = joinPath(root, name);
    const text = files.read(path);
    const first = text === undefined ? undefined : firstValueLine(text);
    if (first) candidates.push({ input: first.value, file: `${path}:${first.line}`, what: name });
  }
  const volta = stringField(objectField(pkg, 'volta'), 'node');
  if (volta) candidates.push({ input: volta, file: `${pkgPath}:${lineOf(pkgText, /"volta"/) ?? 1}`, what: 'package.json volta.node' });
  const engines = stringField(objectField(pkg, 'engines'), 'node');
  if (engines) candidates.push({ input: engines, file: `${pkgPath}:${lineOf(pkgText, /"node"\s*:/) ?? 1}`, what: 'package.json engines.node' });
  const first = candidates[0];
  if (!first) return undefined;
  const resolved = resolveNodeVersion(first.input, first.file);
  const over = candidates.slice(1).map((candidate) => `${candidate.what} ${JSON.stringify(candidate.input)}`);
  return { value: resolved.version, reason: `${first.what} ${JSON.stringify(first.input)}: ${resolved.how}`, file: first.file, ...(over.length > 0 ? { over } : {}) };
}

/** The binaries a script's first word may name that come from dev dependencies (gone in production). */
function devOnlyBinary(command: Command, app: JsonObject): string | undefined {
  if (command.form !== 'exec') return undefined;
  const bin = command.argv[0] ?? '';
  const deps = objectField(app, 'dependencies') ?? {};
  const devDeps = objectField(app, 'devDependencies') ?? {};
  const known: Record<string, string> = { nodemon: 'nodemon', 'ts-node': 'ts-node', 'ts-node-dev': 'ts-node-dev', tsx: 'tsx', vite: 'vite' };
  const pkgName = known[bin] ?? bin;
  return pkgName in devDeps && !(pkgName in deps) ? pkgName : undefined;
}

function detectNodeStart(
  files: ProjectFiles,
  appDir: string,
  app: JsonObject,
  appText: string,
  appPkgPath: string,
  manager: NodePackageManager,
  nodeModules: boolean,
  warnings: FactWarning[],
): StartFact | Ambiguity | undefined {
  const procfile = readProcfile(files, appDir);
  const fromProcfile = procfile ? procfileStart(procfile, 3000) : undefined;
  const scripts = objectField(app, 'scripts');
  const startScript = stringField(scripts, 'start');
  const main = stringField(app, 'main');
  const over: string[] = [];
  if (startScript !== undefined) over.push(`package.json scripts.start`);
  if (main !== undefined) over.push(`package.json "main"`);
  if (fromProcfile) {
    if ('key' in fromProcfile) return fromProcfile;
    return { ...fromProcfile, ...(over.length > 0 ? { over: [...(fromProcfile.over ?? []), ...over] } : {}) };
  }
  const runner = manager === 'bun' ? 'bun' : 'node';
  // Under Plug'n'Play, `node` alone cannot resolve packages: `yarn node` loads the PnP runtime first.
  const nodeArgv = (file: string, args: readonly string[] = []): Command =>
    manager === 'yarn-berry' && !nodeModules ? execCommand('yarn', 'node', file, ...args) : execCommand(runner, file, ...args);
  const entryScan = (file: string): Pick<StartFact, 'port'> => {
    const path = joinPath(appDir, file);
    const text = files.read(path);
    if (text === undefined) return {};
    const scan = scanPort(path, text, 'js');
    warnings.push(...scan.warnings);
    return scan.port ? { port: scan.port } : {};
  };
  const line = lineOf(appText, /"start"\s*:/);
  const startFile = `${appPkgPath}${line ? `:${line}` : ''}`;
  if (startScript !== undefined) {
    const parsed = parseCommand(startScript);
    const rest = main !== undefined ? { over: ['package.json "main"'] } : {};
    if (parsed.form === 'exec' && (parsed.argv[0] === 'node' || parsed.argv[0] === 'bun') && parsed.argv.length >= 2) {
      const args = parsed.argv.slice(1);
      const file = args.find((arg) => !arg.startsWith('-'));
      return {
        value: parsed.argv[0] === 'bun' ? execCommand('bun', ...args) : nodeArgv(args[0] as string, args.slice(1)),
        reason: `scripts.start is "${startScript}": run directly, so the app is PID 1 and gets docker stop's SIGTERM`,
        file: startFile,
        ...rest,
        ...(file ? entryScan(file) : {}),
      };
    }
    const devOnly = devOnlyBinary(parsed, app);
    if (devOnly) {
      warnings.push({
        code: 'start-needs-dev-dependency',
        message: `scripts.start runs ${devOnly}, a devDependency that the production install leaves out; the container would fail to start`,
        file: startFile,
      });
    }
    const framework = frameworkPort(parsed, startScript);
    const cli = manager === 'yarn-berry' ? 'yarn' : manager;
    return {
      value: cli === 'npm' ? execCommand('npm', 'start') : cli === 'bun' ? execCommand('bun', 'run', 'start') : execCommand(cli, 'start'),
      reason: `scripts.start is "${startScript}": run through ${cli} (it needs node_modules/.bin on PATH)`,
      file: startFile,
      ...rest,
      ...(framework ? { port: { ...framework, file: startFile } } : {}),
    };
  }
  if (main !== undefined && isFile(files, joinPath(appDir, main.replace(/^\.\//, '')))) {
    const file = main.replace(/^\.\//, '');
    return {
      value: nodeArgv(file),
      reason: `package.json "main" is ${JSON.stringify(main)} and there is no scripts.start`,
      file: `${appPkgPath}:${lineOf(appText, /"main"\s*:/) ?? 1}`,
      ...entryScan(file),
    };
  }
  if (isFile(files, joinPath(appDir, 'server.js'))) {
    return {
      value: nodeArgv('server.js'),
      reason: 'server.js exists and package.json has no scripts.start ("npm start" runs node server.js in that case)',
      file: joinPath(appDir, 'server.js'),
      ...entryScan('server.js'),
    };
  }
  return undefined;
}

/** Frameworks whose CLIs read PORT and default to a known port. */
function frameworkPort(command: Command, script: string): { value: number; reason: string; via: { kind: 'env'; name: string } } | undefined {
  const bin = command.form === 'exec' ? command.argv[0] : script.trim().split(/\s+/)[0];
  const defaults: Record<string, number> = { next: 3000, nuxt: 3000, 'remix-serve': 3000, 'react-router-serve': 3000 };
  const port = bin ? defaults[bin] : undefined;
  return port === undefined ? undefined : { value: port, reason: `${bin} reads PORT, default ${port}`, via: { kind: 'env', name: 'PORT' } };
}

export function describeManager(manager: NodePackageManager): string {
  return MANAGER_NAMES[manager];
}
