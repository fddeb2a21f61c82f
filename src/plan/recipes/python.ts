/**
 * Python recipes: `python.Dockerfile` for pip, pipenv, Poetry and uv (one stage: the dependency
 * install in its own layer, then the code), `python-conda.Dockerfile` for conda environments.
 */
import type { FactWarning } from '../../detect/facts.js';
import { joinPath } from '../../detect/project-files.js';
import { pyprojectDependenciesCommand, type PythonFacts } from '../../detect/python.js';
import { DEFAULT_PYTHON } from '../../detect/runtime-version.js';
import { BASE_IMAGES } from '../base-images.js';
import { cite, copyManifestsBlock, decideBase, decideStartAndPort, decideVersion, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { runBlock, sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

const SEARCHED = 'a Procfile, manage.py, a FastAPI/Flask/Streamlit app, notebooks, console scripts, __main__.py, main.py/app.py/run.py';

const INSTALLER_NAMES: Record<PythonFacts['installer']['value'], string> = {
  pip: 'pip',
  pipenv: 'pipenv',
  poetry: 'Poetry',
  uv: 'uv',
  conda: 'conda (micromamba)',
};

export function pythonRecipe({ facts, settings }: RecipeInput<PythonFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const conda = facts.installer.value === 'conda';
  decisions.push(fromDetected('packageManager', facts.installer, INSTALLER_NAMES[facts.installer.value]));
  decisions.push(fromDetected('lockfile', facts.lockfile, facts.lockfile.value === null ? null : joinPath(facts.root, facts.lockfile.value)));

  let runtimeWhy: string;
  let defaultImage: string;
  let version = DEFAULT_PYTHON;
  if (conda) {
    if (settings.python) {
      warnings.push({ code: 'python-version-ignored', message: `${settings.python.origin}: a conda environment chooses its own Python (the python= entry of its environment file); ignored` });
    }
    decisions.push(decision('runtime', 'Python (from the conda environment)', 'detected', 'the environment file pins python', { file: facts.installer.file }));
    defaultImage = BASE_IMAGES.micromamba;
    runtimeWhy = cite(`${facts.installer.reason} → ${defaultImage}`, facts.installer.file);
  } else {
    const chosen = decideVersion('Python', 'python', settings.python, facts.pythonVersion, DEFAULT_PYTHON, warnings);
    decisions.push(chosen.decision);
    version = chosen.version;
    defaultImage = BASE_IMAGES.python(version);
    runtimeWhy = `${chosen.why} → ${defaultImage}`;
  }
  const base = decideBase(defaultImage, runtimeWhy, settings, conda ? facts.installer.file : facts.pythonVersion?.file);
  decisions.push(base.decision);

  // pyproject.toml [project].dependencies are read with tomllib, which Python 3.11 introduced.
  let install = facts.install;
  if (install && facts.pyprojectDependencies && Number(version.split('.')[1]) < 11) {
    install = { ...install, value: pyprojectDependenciesCommand(facts.pyprojectDependencies), reason: `${install.reason}; listed here because Python ${version} has no tomllib (regenerate after changing them)` };
  }
  decisions.push(
    install
      ? decision('install', install.value, 'detected', install.reason, { file: facts.installer.file })
      : facts.installProject
        ? decision('install', facts.installProject.value, 'detected', facts.installProject.reason, { file: facts.installer.file })
        : decision('install', null, 'detected', 'no dependencies declared'),
  );
  decisions.push(decision('build', null, 'default', 'Python needs no build step'));
  const start = decideStartAndPort(facts.start, settings, warnings, SEARCHED);
  decisions.push(...start.decisions);
  const userId = conda ? '57439:57439' : '10001:10001';
  decisions.push(decision('user', userId, 'default', conda ? 'the micromamba image\'s unprivileged "mambauser"' : 'an unprivileged "app" user the Dockerfile creates'));

  const copiedFirst = facts.manifests.map((manifest) => joinPath(facts.root, manifest));
  const cmd = execForm(start.argv ?? ['python']);
  if (conda) {
    return {
      template: 'python-conda.Dockerfile',
      values: {
        runtime_reason: base.comment,
        base_image: base.image,
        install_reason: cite(install?.reason ?? '', facts.installer.file),
        copy_manifests: copyManifestsBlock(facts.root, facts.manifests).replace(/^COPY /gm, 'COPY --chown=57439:57439 '),
        install: install?.value ?? 'true',
        source: sourceDir(facts.root),
        user_reason: 'The image\'s unprivileged "mambauser" (numeric, so Kubernetes runAsNonRoot can verify it).',
        expose: start.expose,
        start_reason: start.startComment,
        cmd,
      },
      decisions,
      warnings,
      baseImage: base.image,
      copiedFirst,
    };
  }

  const setupLines: string[] = [];
  if (facts.installer.value === 'uv') {
    setupLines.push(
      '# uv, copied as one static binary from its official image (pinned). Bytecode is compiled at',
      '# install time (faster start), packages are copied rather than linked (the cache is not kept),',
      "# and uv never downloads a Python: it uses the image's.",
      `COPY --from=${BASE_IMAGES.uv} /uv /uvx /bin/`,
      'ENV UV_COMPILE_BYTECODE=1 \\',
      '    UV_LINK_MODE=copy \\',
      '    UV_PYTHON_DOWNLOADS=never',
    );
  }
  const setup = [setupLines.join('\n'), runBlock(facts.setup.map((step) => ({ comment: cite(step.reason, step.file), run: step.value })))].filter((block) => block !== '').join('\n');
  const installBlock = install
    ? [
        `# ${cite(install.reason, facts.installer.file)}`,
        '# Only the files the install reads are copied first, so this layer is rebuilt only when they change.',
        copyManifestsBlock(facts.root, facts.manifests),
        `RUN ${install.value}`,
      ].join('\n')
    : '';
  const installProject = facts.installProject ? runBlock([{ comment: cite(facts.installProject.reason), run: facts.installProject.value }]) : '';
  const env = facts.env.length > 0 ? [`# ${facts.installer.value === 'uv' ? "uv's virtualenv comes first on PATH, so python and the app's scripts are its own" : 'the package lives under src/'}`, `ENV ${facts.env.map(([name, value]) => `${name}="${value}"`).join(' ')}`].join('\n') : '';
  return {
    template: 'python.Dockerfile',
    values: {
      runtime_reason: base.comment,
      base_image: base.image,
      setup,
      install: installBlock,
      source: sourceDir(facts.root),
      install_project: installProject,
      env,
      user_reason: 'The unprivileged "app" user created above (numeric, so Kubernetes runAsNonRoot can verify it); the code stays owned by root.',
      expose: start.expose,
      start_reason: start.startComment,
      cmd,
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst,
  };
}
