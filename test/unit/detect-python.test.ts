import { describe, expect, it } from 'vitest';
import { decided, fixture, plan, text, usageError } from '../support/project-plans.js';
import { memoryProjectFiles } from '../../src/detect/project-files.js';
import { readRequirements } from '../../src/detect/python-requirements.js';
import type { ProjectPlan } from '../../src/plan/project-plan.js';

/** The generated CMD's argv. */
const cmd = (p: ProjectPlan): string[] => JSON.parse(/^CMD (.*)$/m.exec(text(p))?.[1] ?? 'null') as string[];

describe('Python: installers', () => {
  it('requirements.txt → pip install -r, copying every file it includes (-r), pinned → no warning', () => {
    const p = plan(fixture('python-requirements'));
    expect(decided(p, 'packageManager')).toMatchObject({ value: 'pip', file: 'requirements.txt' });
    expect(decided(p, 'lockfile')).toMatchObject({ value: 'requirements.txt', reason: 'requirements.txt pins every requirement with ==' });
    expect(text(p)).toContain('COPY requirements.txt ./\nCOPY requirements/base.txt requirements/\nRUN pip install --no-cache-dir -r requirements.txt\n');
    expect(p.warnings.map((w) => w.code)).not.toContain('no-lockfile');
  });

  it('requirements/*.txt only → production.txt by documented preference, the others named as passed over; unpinned → warning', () => {
    const p = plan(fixture('python-requirements-dir'));
    expect(decided(p, 'install').reason).toContain('chosen over requirements/base.txt, requirements/dev.txt');
    expect(text(p)).toContain('COPY requirements/production.txt requirements/base.txt requirements/');
    expect(p.warnings.find((w) => w.code === 'no-lockfile')?.message).toMatch(/^unpinned requirements \(requirements\/base\.txt:1 requests\)/);
  });

  it('requirements/ with no preferred name: an error listing the files', () => {
    const error = usageError(() => plan(memoryProjectFiles({ 'requirements/a.txt': 'x==1\n', 'requirements/b.txt': 'y==1\n', 'main.py': '' })));
    expect(error.message).toMatch(/requirements\/ has several requirement files/);
    expect(error.hint).toContain('- requirements/a.txt');
  });

  it('Pipfile + Pipfile.lock → pipenv install --system --deploy, pipenv pinned; Django with gunicorn', () => {
    const p = plan(fixture('python-pipenv'));
    expect(text(p)).toMatch(/RUN pip install --no-cache-dir pipenv==\d{4}\.\d+\.\d+\n/);
    expect(text(p)).toContain('COPY Pipfile Pipfile.lock ./\nRUN pipenv install --system --deploy\n');
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Python 3.12', file: 'Pipfile' });
    expect(decided(p, 'start')).toMatchObject({ value: 'gunicorn mysite.wsgi:application', file: 'manage.py:7' });
    expect(text(p)).toContain('ENV PORT=8000\nEXPOSE 8000\n');
  });

  it('Pipfile without a lock → pipenv --skip-lock and the not-reproducible warning', () => {
    const p = plan(fixture('python-pipfile-nolock'));
    expect(text(p)).toContain('RUN pipenv install --system --skip-lock');
    expect(p.warnings.find((w) => w.code === 'no-lockfile')?.message).toMatch(/no Pipfile\.lock: .*not reproducible/);
    expect(decided(p, 'baseImage').value).toBe('python:3.10-slim-bookworm');
  });

  it('poetry.lock → Poetry matching the lock format, main group only, no virtualenv; FastAPI with uvicorn', () => {
    const p = plan(fixture('python-poetry'));
    expect(text(p)).toMatch(/# poetry\.lock lock-version 2\.0 → Poetry 1\.8\.\d+.*\nRUN pip install --no-cache-dir poetry==1\.8\.\d+\n/);
    expect(text(p)).toContain('COPY pyproject.toml poetry.lock ./\nRUN POETRY_VIRTUALENVS_CREATE=false poetry install --only main --no-root --no-interaction --no-ansi\n');
    expect(cmd(p)).toEqual(['uvicorn', 'app.main:app', '--host', '0.0.0.0', '--port', '8000']);
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Python 3.12', reason: 'pyproject.toml [tool.poetry.dependencies] python "^3.11": range ^3.11 → 3.12 (pack\'s default)' });
  });

  it('uv.lock → uv copied from its pinned image, sync --locked without the project, then with it; the venv on PATH', () => {
    const p = plan(fixture('python-uv'));
    expect(text(p)).toContain('COPY --from=ghcr.io/astral-sh/uv:');
    expect(text(p)).toContain('COPY pyproject.toml uv.lock .python-version ./\nRUN uv sync --locked --no-dev --no-install-project\n');
    expect(text(p)).toMatch(/COPY \. \.\n# .*\nRUN uv sync --locked --no-dev\n/);
    expect(text(p)).toContain('ENV PATH="/app/.venv/bin:$PATH"');
    expect(cmd(p)).toEqual(['tool']);
  });

  it('pyproject.toml alone → its [project].dependencies installed before the code; old Pythons get them listed', () => {
    const p = plan(fixture('python-pyproject'));
    // requires-python >=3.9,<3.11 → 3.10, which has no tomllib: the list is in the Dockerfile (exec form).
    expect(decided(p, 'runtime').value).toBe('Python 3.10');
    expect(text(p)).toContain('COPY pyproject.toml ./\nRUN ["pip", "install", "--no-cache-dir", "flask>=3.0", "gunicorn>=22"]\n');
    expect(cmd(p)).toEqual(['gunicorn', 'wsgi:application']);
    const newer = plan(fixture('python-pyproject'), { python: '3.12' });
    expect(text(newer)).toMatch(/RUN python -c 'import tomllib; .*' > \/tmp\/requirements\.txt && pip install --no-cache-dir -r \/tmp\/requirements\.txt/);
    expect(decided(newer, 'runtime')).toMatchObject({ source: 'flag', over: [expect.stringContaining('3.10')] });
  });

  it('setup.py only → one install after the code, with a warning that it is not cached', () => {
    const p = plan(fixture('python-setup-py'));
    expect(text(p)).toMatch(/COPY \. \.\n# .*\nRUN pip install --no-cache-dir \.\n/);
    expect(p.warnings.map((w) => w.code)).toContain('setup-py-only');
  });

  it('environment.yml → micromamba, the pip requirements it includes copied too, Jupyter Lab on 8888 for notebooks', () => {
    const p = plan(fixture('python-conda'));
    expect(p.generated?.template).toBe('templates/python-conda.Dockerfile');
    expect(text(p)).toContain('COPY --chown=57439:57439 environment.yml requirements-pip.txt ./');
    expect(cmd(p)).toEqual(['jupyter', 'lab', '--ip=0.0.0.0', '--port=8888', '--no-browser', '--ServerApp.root_dir=/app']);
    expect(decided(p, 'port').value).toBe(8888);
    expect(p.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['jupyter-token', 'no-lockfile']));
  });
});

describe('Python: version', () => {
  it('.python-version beats requires-python; runtime.txt is read; `system` is ignored with a warning', () => {
    expect(decided(plan(fixture('python-requirements')), 'runtime')).toMatchObject({ value: 'Python 3.11', file: '.python-version:1' });
    expect(decided(plan(fixture('python-main-package')), 'baseImage').value).toBe('python:3.10.14-slim-bookworm');
    const p = plan(memoryProjectFiles({ '.python-version': 'system\n', 'requirements.txt': 'x==1\n', 'main.py': '' }));
    expect(p.warnings.map((w) => w.code)).toContain('python-version-ignored');
  });

  it('an unreadable version is a usage error naming the file and line', () => {
    const error = usageError(() => plan(memoryProjectFiles({ 'runtime.txt': 'python-three\n', 'requirements.txt': '' })));
    expect(error.message).toMatch(/^runtime\.txt:1: cannot read "python-three" as a version/);
    expect(error.hint).toMatch(/--python/);
  });
});

describe('Python: start command precedence', () => {
  it('a Procfile web process wins, and its $PORT is set by the Dockerfile (exec through sh so the shell expands it)', () => {
    const p = plan(fixture('python-procfile-web'));
    expect(decided(p, 'start')).toMatchObject({ file: 'Procfile:1', over: expect.arrayContaining(['Procfile "worker" process']) });
    expect(cmd(p)).toEqual(['/bin/sh', '-c', 'exec gunicorn app:app --bind 0.0.0.0:$PORT --workers 2']);
    expect(text(p)).toContain('ENV PORT=8000\nEXPOSE 8000');
  });

  it('several Procfile types and no web: an error listing them and naming --cmd; --cmd settles it', () => {
    const error = usageError(() => plan(fixture('python-procfile')));
    expect(error.message).toBe('Procfile has several process types and no "web": worker, clock; pack will not guess');
    expect(error.hint).toContain('--cmd, or "cmd" in pack.json');
    expect(error.hint).toContain('- worker: celery -A tasks worker');
    expect(error.hint).not.toContain('release');
    expect(cmd(plan(fixture('python-procfile'), { cmd: 'celery -A tasks worker' }))).toEqual(['celery', '-A', 'tasks', 'worker']);
  });

  it('Django without gunicorn → runserver on 0.0.0.0, with a dev-server warning; --port rewrites its address', () => {
    const p = plan(fixture('python-django-dev'));
    expect(cmd(p)).toEqual(['python', 'manage.py', 'runserver', '0.0.0.0:8000']);
    expect(p.warnings.map((w) => w.code)).toContain('dev-server');
    expect(cmd(plan(fixture('python-django-dev'), { port: '9000' }))).toEqual(['python', 'manage.py', 'runserver', '0.0.0.0:9000']);
  });

  it('Flask with gunicorn → gunicorn module:app, chosen over the plain script rule', () => {
    const p = plan(fixture('python-requirements'));
    expect(decided(p, 'start')).toMatchObject({ value: 'gunicorn app:app', file: 'app.py:3', over: ['script: app.py → python app.py'] });
  });

  it('Streamlit → streamlit run bound to 0.0.0.0', () => {
    expect(cmd(plan(fixture('python-streamlit')))).toEqual(['streamlit', 'run', 'streamlit_app.py', '--server.address', '0.0.0.0', '--server.port', '8501']);
  });

  it('a package __main__.py → python -m', () => {
    expect(cmd(plan(fixture('python-main-package')))).toEqual(['python', '-m', 'worker']);
  });

  it('main.py over app.py over run.py, the others named; PORT with a fallback read from the script', () => {
    const p = plan(fixture('python-script'));
    expect(decided(p, 'start')).toMatchObject({ value: 'python main.py', over: ['app.py'] });
    expect(decided(p, 'port')).toMatchObject({ value: 5050, file: 'main.py:2' });
    expect(text(p)).toContain('ENV PORT=5050');
  });

  it('several console scripts: an error listing them', () => {
    const error = usageError(() =>
      plan(memoryProjectFiles({ 'pyproject.toml': '[project]\nname = "x"\nversion = "1"\ndependencies = []\n\n[project.scripts]\nb = "x:b"\na = "x:a"\n' })),
    );
    expect(error.message).toMatch(/declares several console scripts: a, b/);
  });
});

describe('Python: monorepos', () => {
  it('no manifest at the root and several projects below: an error listing them and naming --app', () => {
    const error = usageError(() => plan(fixture('python-monorepo')));
    expect(error.message).toBe('no manifest at the project root, and 2 projects below it; pack will not guess');
    expect(error.hint).toContain('--app PATH, or "app" in pack.json');
    expect(error.hint).toContain('- services/billing (python: services/billing/requirements.txt)');
    expect(error.hint).toContain('- services/reports (python: services/reports/pyproject.toml)');
  });

  it('--app builds one service from the root context: its manifests are copied by their context paths', () => {
    const p = plan(fixture('python-monorepo'), { app: 'services/billing' });
    expect(text(p)).toContain('COPY services/billing/requirements.txt ./\nRUN pip install --no-cache-dir -r requirements.txt\n');
    expect(text(p)).toContain('COPY services/billing/ .\n');
    expect(p.generated?.copiedFirst).toEqual(['services/billing/requirements.txt']);
  });

  it('a single project below an empty root is built, with a warning that says so', () => {
    const p = plan(memoryProjectFiles({ 'README.md': '', 'app/requirements.txt': 'x==1\n', 'app/main.py': '' }));
    expect(p.app).toBe('app');
    expect(p.warnings.map((w) => w.code)).toContain('app-subdirectory');
  });
});

describe('readRequirements', () => {
  it('follows -r and -c, joins continuation lines, reads names and pins, and flags local paths', () => {
    const files = memoryProjectFiles({
      'requirements.txt': '-r base.txt\n-c constraints.txt\nDjango[bcrypt]==5.0 ; python_version >= "3.10"\nrequests>=2\n-e .\n--index-url https://example.com\n',
      'base.txt': 'Flask_Login==0.6.3 \\\n  --hash=sha256:abc\n',
      'constraints.txt': 'urllib3==2.2.0\n',
    });
    const read = readRequirements(files, 'requirements.txt');
    expect(read?.files).toEqual(['requirements.txt', 'base.txt', 'constraints.txt']);
    expect(read?.names).toEqual(['django', 'django[bcrypt]', 'flask-login', 'requests', 'urllib3']);
    expect(read?.unpinned).toEqual(['requirements.txt:4 requests']);
    expect(read?.localPaths).toEqual(['requirements.txt:5']);
  });
});
