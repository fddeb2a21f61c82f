/**
 * Python projects. Which installer, from the files present (precedence, first match wins; the plan
 * lists the others as "over"):
 *   uv.lock → uv · poetry.lock → Poetry · Pipfile.lock → pipenv --system --deploy ·
 *   Pipfile → pipenv (no lock: warning) · requirements.txt → pip · requirements/*.txt → pip ·
 *   environment.yml → conda (micromamba) · pyproject.toml → pip from [project].dependencies or Poetry
 *   (no lock: warning) · setup.py → pip install . (no separate dependency layer: warning).
 * Python version: .python-version > runtime.txt > Pipfile [requires] > requires-python > Poetry's
 * `python` dependency > pack's default. Start command: see python-start.ts.
 */
import type { Ambiguity, Detected, FactWarning, StartFact } from './facts.js';
import { isObject, lineOf, objectField, parseTomlText, parseYamlText, stringArrayField, stringField, type JsonObject } from './manifest-parse.js';
import { detectPythonStart } from './python-start.js';
import { normaliseName, readRequirements, requirementName } from './python-requirements.js';
import { fileNames, isFile, joinPath, type ProjectFiles } from './project-files.js';
import { firstValueLine, resolvePythonVersion } from './runtime-version.js';
import { TOOL_VERSIONS } from './tool-versions.js';

export type PythonInstaller = 'pip' | 'pipenv' | 'poetry' | 'uv' | 'conda';

export interface PythonFacts {
  readonly ecosystem: 'python';
  readonly root: string;
  readonly markers: readonly string[];
  readonly installer: Detected<PythonInstaller>;
  readonly lockfile: Detected<string | null>;
  /** Undefined when the project does not say (conda: the environment file decides). */
  readonly pythonVersion?: Detected<string>;
  /** RUN steps before the install (installing pipenv or Poetry). */
  readonly setup: readonly Detected<string>[];
  /** Files copied before the dependency install, relative to `root`. */
  readonly manifests: readonly string[];
  /** The dependency install, run before the code is copied; undefined when nothing can be. */
  readonly install?: Detected<string>;
  /** Run after the code is copied: the project itself, or everything when it needs the source. */
  readonly installProject?: Detected<string>;
  /** Environment the app needs (`PYTHONPATH` for a src layout, `PATH` for uv's virtualenv). */
  readonly env: ReadonlyArray<readonly [string, string]>;
  /** Set when the install reads pyproject.toml [project].dependencies (needs tomllib, Python 3.11+). */
  readonly pyprojectDependencies?: readonly string[];
  /** Normalised names of the runtime dependencies, sorted (`name[extra]` entries included). */
  readonly dependencies: readonly string[];
  readonly start?: StartFact | Ambiguity;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

/** Files whose presence makes a directory a Python project (and a monorepo candidate). */
export const PYTHON_MARKERS = ['requirements.txt', 'Pipfile', 'pyproject.toml', 'setup.py', 'environment.yml', 'environment.yaml', 'uv.lock', 'poetry.lock'];

/** requirements/<name>.txt files, in the order pack prefers them for a production image. */
const REQUIREMENTS_DIR_PREFERENCE = ['production.txt', 'prod.txt', 'base.txt', 'common.txt', 'main.txt'];

export function pythonMarkers(files: ProjectFiles, dir: string): string[] {
  const markers = PYTHON_MARKERS.filter((name) => isFile(files, joinPath(dir, name))).map((name) => joinPath(dir, name));
  if (markers.length === 0 && fileNames(files, joinPath(dir, 'requirements')).some((name) => name.endsWith('.txt'))) {
    markers.push(joinPath(dir, 'requirements/'));
  }
  return markers;
}

interface Manifests {
  readonly pyproject?: JsonObject;
  readonly pyprojectText?: string;
  readonly pipfile?: JsonObject;
  readonly pipfileLock?: JsonObject;
}

function pep621Dependencies(pyproject: JsonObject | undefined): string[] {
  return stringArrayField(objectField(pyproject, 'project'), 'dependencies');
}

function poetryDependencies(pyproject: JsonObject | undefined): string[] {
  const poetry = objectField(objectField(pyproject, 'tool'), 'poetry');
  const main = { ...(objectField(poetry, 'dependencies') ?? {}), ...(objectField(objectField(objectField(poetry, 'group'), 'main'), 'dependencies') ?? {}) };
  return Object.keys(main).filter((name) => name.toLowerCase() !== 'python');
}

function condaDependencies(doc: unknown): { names: string[]; pipRequirements: string[]; python?: string } {
  const names: string[] = [];
  const pipRequirements: string[] = [];
  let python: string | undefined;
  const deps = isObject(doc) && Array.isArray(doc['dependencies']) ? (doc['dependencies'] as unknown[]) : [];
  for (const dep of deps) {
    if (typeof dep === 'string') {
      const match = /^(?:[\w-]+::)?([A-Za-z0-9_.-]+)\s*(?:[=<>!~ ]+\s*([\d.*]+))?/.exec(dep.trim());
      if (!match) continue;
      const name = normaliseName(match[1] as string);
      if (name === 'python') python = match[2]?.replace(/\.\*$/, '');
      else names.push(name);
    } else if (isObject(dep) && Array.isArray(dep['pip'])) {
      for (const item of dep['pip'] as unknown[]) {
        if (typeof item !== 'string') continue;
        const include = /^-r\s+(\S+)/.exec(item.trim());
        if (include) pipRequirements.push(include[1] as string);
        const requirement = requirementName(item);
        if (requirement && !item.trim().startsWith('-')) names.push(requirement.name);
      }
    }
  }
  return { names, pipRequirements, ...(python ? { python } : {}) };
}

function detectPythonVersion(files: ProjectFiles, root: string, manifests: Manifests, warnings: FactWarning[]): Detected<string> | undefined {
  const candidates: Array<{ input: string; file: string; what: string }> = [];
  const versionFile = joinPath(root, '.python-version');
  const versionText = files.read(versionFile);
  const first = versionText === undefined ? undefined : firstValueLine(versionText);
  if (first) {
    if (/^\d/.test(first.value)) candidates.push({ input: first.value, file: `${versionFile}:${first.line}`, what: '.python-version' });
    else warnings.push({ code: 'python-version-ignored', message: `${versionFile}:${first.line}: ${JSON.stringify(first.value)} is not a CPython version; ignored`, file: versionFile });
  }
  const runtimeFile = joinPath(root, 'runtime.txt');
  const runtimeText = files.read(runtimeFile);
  const runtime = runtimeText === undefined ? undefined : firstValueLine(runtimeText);
  if (runtime) candidates.push({ input: runtime.value, file: `${runtimeFile}:${runtime.line}`, what: 'runtime.txt' });
  const requires = objectField(manifests.pipfile, 'requires');
  const pipfileVersion = stringField(requires, 'python_full_version') ?? stringField(requires, 'python_version');
  if (pipfileVersion) candidates.push({ input: pipfileVersion, file: joinPath(root, 'Pipfile'), what: 'Pipfile [requires]' });
  const requiresPython = stringField(objectField(manifests.pyproject, 'project'), 'requires-python');
  const pyprojectPath = joinPath(root, 'pyproject.toml');
  const pyprojectLine = (pattern: RegExp): string => `${pyprojectPath}:${lineOf(manifests.pyprojectText ?? '', pattern) ?? 1}`;
  if (requiresPython) candidates.push({ input: requiresPython, file: pyprojectLine(/^\s*requires-python\s*=/), what: 'pyproject.toml requires-python' });
  const poetryPython = stringField(objectField(objectField(objectField(manifests.pyproject, 'tool'), 'poetry'), 'dependencies'), 'python');
  if (poetryPython) candidates.push({ input: poetryPython, file: pyprojectLine(/^\s*python\s*=/), what: 'pyproject.toml [tool.poetry.dependencies] python' });
  const chosen = candidates[0];
  if (!chosen) return undefined;
  const resolved = resolvePythonVersion(chosen.input, chosen.file);
  const over = candidates.slice(1).map((candidate) => `${candidate.what} ${JSON.stringify(candidate.input)}`);
  return { value: resolved.version, reason: `${chosen.what} ${JSON.stringify(chosen.input)}: ${resolved.how}`, file: chosen.file, ...(over.length > 0 ? { over } : {}) };
}

export function detectPython(files: ProjectFiles, root: string): PythonFacts | undefined {
  const markers = pythonMarkers(files, root);
  if (markers.length === 0) return undefined;
  const warnings: FactWarning[] = [];
  const ambiguities: Ambiguity[] = [];
  const at = (name: string): string => joinPath(root, name);
  const has = (name: string): boolean => isFile(files, at(name));

  const pyprojectText = files.read(at('pyproject.toml'));
  const pipfileText = files.read(at('Pipfile'));
  const pipfileLockText = files.read(at('Pipfile.lock'));
  const manifests: Manifests = {
    ...(pyprojectText !== undefined ? { pyproject: parseTomlText(at('pyproject.toml'), pyprojectText), pyprojectText } : {}),
    ...(pipfileText !== undefined ? { pipfile: parseTomlText(at('Pipfile'), pipfileText) } : {}),
  };
  const pyproject = manifests.pyproject;
  const condaFile = has('environment.yml') ? 'environment.yml' : has('environment.yaml') ? 'environment.yaml' : undefined;
  const condaDoc = condaFile ? parseYamlText(at(condaFile), files.read(at(condaFile)) ?? '') : undefined;
  const conda = condaFile ? condaDependencies(condaDoc) : undefined;

  // Requirements files: the root one, else the preferred one in requirements/.
  let requirementsPath: string | undefined = has('requirements.txt') ? 'requirements.txt' : undefined;
  let requirementsOver: string[] = [];
  if (!requirementsPath) {
    const inDir = fileNames(files, at('requirements')).filter((name) => name.endsWith('.txt'));
    const preferred = REQUIREMENTS_DIR_PREFERENCE.find((name) => inDir.includes(name)) ?? (inDir.length === 1 ? inDir[0] : undefined);
    if (preferred) {
      requirementsPath = `requirements/${preferred}`;
      requirementsOver = inDir.filter((name) => name !== preferred).map((name) => `requirements/${name}`);
    } else if (inDir.length > 1) {
      ambiguities.push({
        key: 'install',
        message: `${at('requirements/')} has several requirement files and none is named ${REQUIREMENTS_DIR_PREFERENCE.join(', ')}`,
        candidates: inDir.map((name) => at(`requirements/${name}`)),
        override: 'a requirements.txt at the project root that includes the one to install (-r requirements/<name>.txt)',
      });
    }
  }
  const requirements = requirementsPath ? readRequirements(files, at(requirementsPath)) : undefined;
  for (const missing of requirements?.missing ?? []) {
    warnings.push({ code: 'requirements-include-missing', message: `${missing}: included file does not exist; pip will fail`, file: missing.split(' ')[0] as string });
  }

  // Dependencies (for recognising frameworks), from every manifest present.
  const dependencies = new Set<string>(requirements?.names ?? []);
  const addSpecs = (specs: readonly string[]): void => {
    for (const spec of specs) {
      const requirement = requirementName(spec);
      if (!requirement) continue;
      dependencies.add(requirement.name);
      for (const extra of requirement.extras) dependencies.add(`${requirement.name}[${extra}]`);
    }
  };
  addSpecs(pep621Dependencies(pyproject));
  addSpecs(poetryDependencies(pyproject));
  for (const name of Object.keys(objectField(manifests.pipfile, 'packages') ?? {})) dependencies.add(normaliseName(name));
  for (const name of conda?.names ?? []) dependencies.add(name);

  const poetrySection = objectField(objectField(pyproject, 'tool'), 'poetry');
  const hasBuildSystem = objectField(pyproject, 'build-system') !== undefined;
  const installerCandidates: Array<{ installer: PythonInstaller; file: string; reason: string }> = [];
  if (has('uv.lock')) installerCandidates.push({ installer: 'uv', file: 'uv.lock', reason: 'uv.lock found → uv sync installs exactly the locked versions' });
  if (has('poetry.lock')) installerCandidates.push({ installer: 'poetry', file: 'poetry.lock', reason: 'poetry.lock found → poetry install from the lock' });
  if (pipfileLockText !== undefined) installerCandidates.push({ installer: 'pipenv', file: 'Pipfile.lock', reason: 'Pipfile.lock found → pipenv install --system --deploy' });
  else if (pipfileText !== undefined) installerCandidates.push({ installer: 'pipenv', file: 'Pipfile', reason: 'Pipfile found (no Pipfile.lock) → pipenv install --system --skip-lock' });
  if (requirementsPath) installerCandidates.push({ installer: 'pip', file: requirementsPath, reason: `${requirementsPath} found → pip install -r` });
  if (condaFile) installerCandidates.push({ installer: 'conda', file: condaFile, reason: `${condaFile} found → a conda environment (micromamba)` });
  if (pyproject && poetrySection && !has('poetry.lock') && pep621Dependencies(pyproject).length === 0 && poetryDependencies(pyproject).length > 0) {
    installerCandidates.push({ installer: 'poetry', file: 'pyproject.toml', reason: 'pyproject.toml [tool.poetry] without poetry.lock → poetry install resolves now' });
  } else if (pyproject) {
    installerCandidates.push({ installer: 'pip', file: 'pyproject.toml', reason: 'pyproject.toml [project].dependencies → pip install' });
  }
  if (has('setup.py')) installerCandidates.push({ installer: 'pip', file: 'setup.py', reason: 'setup.py → pip install .' });
  const chosen = installerCandidates[0];
  if (!chosen) {
    // Only requirements/ with an ambiguity: still a Python project.
    return {
      ecosystem: 'python',
      root,
      markers,
      installer: { value: 'pip', reason: 'requirements/ found → pip' },
      lockfile: { value: null, reason: 'no lockfile chosen' },
      setup: [],
      manifests: [],
      env: [],
      dependencies: [...dependencies].sort(),
      warnings,
      ambiguities,
    };
  }
  const over = installerCandidates.slice(1).map((candidate) => at(candidate.file));
  const installer: Detected<PythonInstaller> = {
    value: chosen.installer,
    reason: chosen.reason,
    file: at(chosen.file),
    ...(over.length > 0 ? { over } : {}),
  };

  const pythonVersion = detectPythonVersion(files, root, manifests, warnings);
  const setup: Detected<string>[] = [];
  const manifestList: string[] = [];
  let install: Detected<string> | undefined;
  let installProject: Detected<string> | undefined;
  let lockfile: Detected<string | null>;
  let pyprojectDependencies: string[] | undefined;
  const env: Array<readonly [string, string]> = [];
  const notReproducible = (what: string): void => {
    warnings.push({ code: 'no-lockfile', message: `${what}: dependency versions are resolved at build time, so the image is not reproducible`, file: at(chosen.file) });
  };
  const projectScripts = [
    ...Object.keys(objectField(objectField(pyproject, 'project'), 'scripts') ?? {}),
    ...Object.keys(objectField(poetrySection, 'scripts') ?? {}),
  ].sort();
  const start = detectPythonStart({ files, root, dependencies, projectScripts, pyproject, warnings });
  const startArgv0 = start && !('key' in start) && start.value.form === 'exec' ? start.value.argv[0] : undefined;
  const srcLayout = start && !('key' in start) && start.value.form === 'exec' && start.value.argv[1] === '-m' && isFile(files, at(`src/${start.value.argv[2] ?? ''}/__main__.py`));
  // The project itself is installed only when running it needs that: a console script it declares,
  // or a package under src/ (else the code runs from /app, which is on sys.path as the working dir).
  const needsProjectInstall = (startArgv0 !== undefined && projectScripts.includes(startArgv0)) || srcLayout === true;

  switch (chosen.installer) {
    case 'uv': {
      manifestList.push('pyproject.toml', 'uv.lock');
      if (has('.python-version')) manifestList.push('.python-version');
      lockfile = { value: 'uv.lock', reason: 'uv.lock pins every dependency', file: at('uv.lock') };
      install = { value: 'uv sync --locked --no-dev --no-install-project', reason: 'uv.lock → uv sync --locked (fails if the lock is out of date), dependencies only' };
      installProject = { value: 'uv sync --locked --no-dev', reason: 'uv sync again with the code present, to install the project itself' };
      env.push(['PATH', '/app/.venv/bin:$PATH']);
      if (objectField(objectField(objectField(pyproject, 'tool'), 'uv'), 'workspace')) {
        warnings.push({ code: 'uv-workspace', message: `${at('pyproject.toml')} declares a uv workspace: member pyproject.toml files are not copied before the install; edit the Dockerfile or build a member with --app` });
      }
      break;
    }
    case 'poetry': {
      const lockText = files.read(at('poetry.lock'));
      const lockVersion = lockText ? /^lock-version\s*=\s*"([\d.]+)"/m.exec(lockText)?.[1] : undefined;
      const poetry = lockVersion !== undefined && lockVersion !== '2.0' && !lockVersion.startsWith('1.') ? TOOL_VERSIONS.poetry2 : TOOL_VERSIONS.poetry1;
      setup.push({
        value: `pip install --no-cache-dir poetry==${poetry}`,
        reason: lockVersion ? `poetry.lock lock-version ${lockVersion} → Poetry ${poetry}` : `Poetry ${poetry} (pack's pinned version)`,
        ...(lockVersion ? { file: at('poetry.lock') } : {}),
      });
      manifestList.push('pyproject.toml');
      if (lockText !== undefined) manifestList.push('poetry.lock');
      if (has('poetry.toml')) manifestList.push('poetry.toml');
      lockfile = lockText !== undefined ? { value: 'poetry.lock', reason: 'poetry.lock pins every dependency', file: at('poetry.lock') } : { value: null, reason: 'no poetry.lock' };
      if (lockText === undefined) notReproducible('no poetry.lock');
      // Into the system site-packages: a virtualenv inside a single-purpose image only adds a layer of indirection.
      install = {
        value: 'POETRY_VIRTUALENVS_CREATE=false poetry install --only main --no-root --no-interaction --no-ansi',
        reason: `${lockText !== undefined ? 'poetry.lock' : 'pyproject.toml'} → poetry install --only main (no dev groups), dependencies only`,
      };
      if (needsProjectInstall) installProject = { value: 'POETRY_VIRTUALENVS_CREATE=false poetry install --only-root --no-interaction --no-ansi', reason: 'the start command needs the project itself installed' };
      break;
    }
    case 'pipenv': {
      setup.push({ value: `pip install --no-cache-dir pipenv==${TOOL_VERSIONS.pipenv}`, reason: `pipenv ${TOOL_VERSIONS.pipenv} (pack's pinned version)` });
      manifestList.push('Pipfile');
      if (pipfileLockText !== undefined) {
        manifestList.push('Pipfile.lock');
        lockfile = { value: 'Pipfile.lock', reason: 'Pipfile.lock pins every dependency', file: at('Pipfile.lock') };
        install = { value: 'pipenv install --system --deploy', reason: 'Pipfile.lock → pipenv install --system --deploy (fails if the lock is out of date; no virtualenv inside the image)' };
      } else {
        lockfile = { value: null, reason: 'no Pipfile.lock' };
        notReproducible('no Pipfile.lock');
        install = { value: 'pipenv install --system --skip-lock', reason: 'Pipfile without Pipfile.lock → pipenv install --system --skip-lock (resolves now)' };
      }
      break;
    }
    case 'conda': {
      const lockName = has('conda-lock.yml') ? 'conda-lock.yml' : undefined;
      manifestList.push(lockName ?? (condaFile as string));
      for (const include of conda?.pipRequirements ?? []) {
        if (has(include)) manifestList.push(include);
      }
      if (lockName) {
        lockfile = { value: lockName, reason: `${lockName} pins every package`, file: at(lockName) };
        install = { value: `micromamba install --yes --name base --file ${lockName} && micromamba clean --all --yes`, reason: `${lockName} → micromamba installs the locked environment` };
      } else {
        lockfile = { value: null, reason: `${condaFile} is a specification, not a lock` };
        notReproducible(`${condaFile} without conda-lock.yml`);
        install = { value: `micromamba install --yes --name base --file ${condaFile} && micromamba clean --all --yes`, reason: `${condaFile} → micromamba creates the environment (resolved now)` };
      }
      break;
    }
    case 'pip': {
      if (chosen.file === requirementsPath && requirements) {
        const reqFiles = requirements.files.map((file) => (root === '' ? file : file.slice(root.length + 1)));
        const pinnedAll = requirements.unpinned.length === 0;
        lockfile = pinnedAll
          ? { value: requirementsPath, reason: `${requirementsPath} pins every requirement with ==`, file: at(requirementsPath) }
          : { value: null, reason: `${requirementsPath} has unpinned requirements` };
        if (!pinnedAll) {
          const sample = requirements.unpinned.slice(0, 3).join(', ');
          warnings.push({
            code: 'no-lockfile',
            message: `unpinned requirements (${sample}${requirements.unpinned.length > 3 ? ', …' : ''}): versions are resolved at build time, so the image is not reproducible (pin them with ==, e.g. pip-compile)`,
            file: at(requirementsPath),
          });
        }
        const command = `pip install --no-cache-dir -r ${requirementsPath}`;
        const localPath = requirements.localPaths[0];
        if (localPath) {
          // `-e .` needs the source tree: the whole install moves after COPY . . (no cached layer).
          warnings.push({ code: 'requirements-local-path', message: `${localPath} installs a local path (like -e .), which needs the source: dependencies are reinstalled on every code change`, file: localPath });
          installProject = { value: command, reason: `${requirementsPath} installs a local path, so it runs after the code is copied` };
        } else {
          manifestList.push(...reqFiles);
          install = { value: command, reason: `${requirementsPath} → pip install -r${requirementsOver.length > 0 ? ` (chosen over ${requirementsOver.join(', ')})` : ''}` };
        }
        if (needsProjectInstall && hasBuildSystem) installProject ??= { value: 'pip install --no-cache-dir --no-deps .', reason: 'the start command needs the project itself installed' };
      } else if (chosen.file === 'pyproject.toml') {
        const deps = pep621Dependencies(pyproject);
        lockfile = { value: null, reason: 'pyproject.toml lists ranges, not pins' };
        if (deps.length > 0) {
          notReproducible('pyproject.toml without a lockfile');
          manifestList.push('pyproject.toml');
          pyprojectDependencies = deps;
          install = {
            value: PYPROJECT_INSTALL,
            reason: 'pyproject.toml [project].dependencies → pip install (dependencies only, so the layer survives code edits)',
          };
        }
        if (needsProjectInstall || (deps.length === 0 && hasBuildSystem && startArgv0 === undefined)) {
          installProject = { value: 'pip install --no-cache-dir --no-deps .', reason: 'the project itself, now that its code is present' };
        }
      } else {
        // setup.py: its dependencies are only known by running it, with the code present.
        lockfile = { value: null, reason: 'setup.py declares ranges in code' };
        notReproducible('setup.py without a lockfile');
        warnings.push({ code: 'setup-py-only', message: `${at('setup.py')}: dependencies are only known by running it, so they are reinstalled on every code change; list them in requirements.txt or pyproject.toml to cache them`, file: at('setup.py') });
        installProject = { value: 'pip install --no-cache-dir .', reason: 'setup.py → pip install . (dependencies and project together)' };
      }
      break;
    }
  }
  if (srcLayout && !installProject) {
    env.push(['PYTHONPATH', '/app/src']);
  }
  return {
    ecosystem: 'python',
    root,
    markers,
    installer,
    lockfile,
    ...(pythonVersion ? { pythonVersion } : {}),
    setup,
    manifests: manifestList,
    ...(install ? { install } : {}),
    ...(installProject ? { installProject } : {}),
    env,
    ...(pyprojectDependencies ? { pyprojectDependencies } : {}),
    dependencies: [...dependencies].sort(),
    ...(start ? { start } : {}),
    warnings,
    ambiguities,
  };
}

/**
 * Installing [project].dependencies without the code: read them from pyproject.toml inside the
 * build (tomllib, Python 3.11+), so that the Dockerfile stays right when the list changes. The plan
 * swaps in `pyprojectDependenciesCommand` when the chosen Python is older.
 */
const PYPROJECT_INSTALL = `python -c 'import tomllib; print("\\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"].get("dependencies", [])))' > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt`;

/** For Pythons without tomllib: the list written into the Dockerfile (exec form: no shell quoting of `>=`). */
export function pyprojectDependenciesCommand(deps: readonly string[]): string {
  return `[${['pip', 'install', '--no-cache-dir', ...deps].map((arg) => JSON.stringify(arg)).join(', ')}]`;
}
