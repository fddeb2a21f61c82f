/**
 * How a Python project starts. Precedence (first rule that matches wins; the ones below it that
 * also matched are reported as "over"):
 *   1. Procfile (`web`, or its only process type; several and no `web` → ambiguity)
 *   2. Django: manage.py → gunicorn <project>.wsgi when gunicorn is a dependency, else runserver
 *   3. FastAPI app (`x = FastAPI(`) → uvicorn (or `fastapi run` with fastapi[standard])
 *   4. Flask app (`x = Flask(` or `create_app`) → gunicorn when listed, else `flask run`
 *   5. Streamlit script → streamlit run
 *   6. notebooks (*.ipynb) with jupyter/jupyterlab/notebook in the dependencies → Jupyter on 8888
 *   7. a console script the project declares ([project.scripts], [tool.poetry.scripts]); several → ambiguity
 *   8. a package's __main__.py (pkg/ or src/pkg/) → python -m pkg; several → ambiguity
 *   9. main.py, then app.py, then run.py → python <file>
 * Servers are bound to 0.0.0.0: inside a container, 127.0.0.1 is unreachable from outside.
 */
import { execCommand } from './command.js';
import type { Ambiguity, FactWarning, PortFact, StartFact } from './facts.js';
import { lineOf, objectField, type JsonObject } from './manifest-parse.js';
import { scanPort } from './port-hints.js';
import { procfileStart, readProcfile } from './procfile.js';
import { dirNames, fileNames, isFile, joinPath, type ProjectFiles } from './project-files.js';

export interface PythonStartInput {
  readonly files: ProjectFiles;
  readonly root: string;
  readonly dependencies: ReadonlySet<string>;
  readonly projectScripts: readonly string[];
  readonly pyproject: JsonObject | undefined;
  readonly warnings: FactWarning[];
}

interface Rule {
  readonly name: string;
  readonly match: (input: PythonStartInput) => StartFact | Ambiguity | undefined;
}

/** Module path for a file relative to the root: `app/main.py` → `app.main`. */
function moduleOf(file: string): string {
  return file.replace(/\.py$/, '').replace(/\/__init__$/, '').replace(/\//g, '.');
}

/** Finds `name = Factory(` in the candidate files; returns the file, line and variable. */
function findApp(input: PythonStartInput, candidates: readonly string[], factory: RegExp): { file: string; line: number; variable: string } | undefined {
  for (const candidate of candidates) {
    const text = input.files.read(joinPath(input.root, candidate));
    if (text === undefined) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      const match = new RegExp(`^([A-Za-z_][A-Za-z0-9_]*)\\s*(?::\\s*[\\w.]+\\s*)?=\\s*(?:[\\w.]+\\.)?${factory.source}\\(`).exec(lines[i] as string);
      if (match) return { file: candidate, line: i + 1, variable: match[1] as string };
    }
  }
  return undefined;
}

function argPort(value: number, reason: string, file: string, index: number, format: string): PortFact {
  return { value, reason, file, via: { kind: 'arg', index, format } };
}

const APP_FILES = ['main.py', 'app.py', 'app/main.py', 'app/__init__.py', 'src/main.py', 'src/app.py', 'api.py', 'server.py', 'application.py', 'wsgi.py', 'asgi.py', 'run.py'];

const RULES: readonly Rule[] = [
  {
    name: 'Procfile',
    match: (input) => {
      const procfile = readProcfile(input.files, input.root);
      return procfile ? procfileStart(procfile, 8000) : undefined;
    },
  },
  {
    name: 'Django (manage.py)',
    match: (input) => {
      const managePath = joinPath(input.root, 'manage.py');
      const manage = input.files.read(managePath);
      if (manage === undefined) return undefined;
      const settings = /DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]/.exec(manage)?.[1];
      const project = settings?.split('.')[0];
      const wsgi = project && isFile(input.files, joinPath(input.root, `${project}/wsgi.py`)) ? `${project}.wsgi` : undefined;
      const file = `${managePath}:${lineOf(manage, /DJANGO_SETTINGS_MODULE/) ?? 1}`;
      if (wsgi && input.dependencies.has('gunicorn')) {
        return {
          value: execCommand('gunicorn', `${wsgi}:application`),
          reason: `manage.py (Django, settings ${settings}) with gunicorn in the dependencies → gunicorn ${wsgi}`,
          file,
          port: { value: 8000, reason: 'gunicorn binds 0.0.0.0:$PORT when PORT is set', file, via: { kind: 'env', name: 'PORT' } },
        };
      }
      input.warnings.push({
        code: 'dev-server',
        message: `${managePath}: no gunicorn in the dependencies, so the image runs Django's development server; add gunicorn for production`,
        file: managePath,
      });
      return {
        value: execCommand('python', 'manage.py', 'runserver', '0.0.0.0:8000'),
        reason: 'manage.py (Django) without gunicorn → manage.py runserver',
        file,
        port: argPort(8000, "Django's runserver on 0.0.0.0:8000", file, 3, '0.0.0.0:{port}'),
      };
    },
  },
  {
    name: 'FastAPI',
    match: (input) => {
      if (!input.dependencies.has('fastapi')) return undefined;
      const app = findApp(input, APP_FILES, /FastAPI/);
      if (!app) return undefined;
      const target = `${moduleOf(app.file)}:${app.variable}`;
      const file = `${joinPath(input.root, app.file)}:${app.line}`;
      if (input.dependencies.has('uvicorn') || input.dependencies.has('uvicorn[standard]')) {
        return {
          value: execCommand('uvicorn', target, '--host', '0.0.0.0', '--port', '8000'),
          reason: `FastAPI app ${target} with uvicorn in the dependencies → uvicorn`,
          file,
          port: argPort(8000, 'uvicorn --port 8000', file, 5, '{port}'),
        };
      }
      if (input.dependencies.has('fastapi[standard]')) {
        return {
          value: execCommand('fastapi', 'run', app.file, '--port', '8000'),
          reason: `FastAPI app in ${app.file} with fastapi[standard] → fastapi run`,
          file,
          port: argPort(8000, 'fastapi run --port 8000', file, 4, '{port}'),
        };
      }
      input.warnings.push({ code: 'no-asgi-server', message: `${file}: a FastAPI app, but neither uvicorn nor fastapi[standard] is a dependency; add one`, file });
      return undefined;
    },
  },
  {
    name: 'Flask',
    match: (input) => {
      if (!input.dependencies.has('flask')) return undefined;
      const app = findApp(input, APP_FILES, /Flask/);
      let target: string | undefined;
      let file: string | undefined;
      if (app) {
        target = `${moduleOf(app.file)}:${app.variable}`;
        file = `${joinPath(input.root, app.file)}:${app.line}`;
      } else {
        for (const candidate of APP_FILES) {
          const text = input.files.read(joinPath(input.root, candidate));
          const line = text === undefined ? undefined : lineOf(text, /^def create_app\(/);
          if (line !== undefined) {
            target = `${moduleOf(candidate)}:create_app()`;
            file = `${joinPath(input.root, candidate)}:${line}`;
            break;
          }
        }
      }
      if (!target || !file) return undefined;
      if (input.dependencies.has('gunicorn')) {
        return {
          value: execCommand('gunicorn', target),
          reason: `Flask app ${target} with gunicorn in the dependencies → gunicorn`,
          file,
          port: { value: 8000, reason: 'gunicorn binds 0.0.0.0:$PORT when PORT is set', file, via: { kind: 'env', name: 'PORT' } },
        };
      }
      input.warnings.push({ code: 'dev-server', message: `${file}: no gunicorn in the dependencies, so the image runs Flask's development server; add gunicorn for production`, file });
      return {
        value: execCommand('flask', '--app', target, 'run', '--host', '0.0.0.0', '--port', '5000'),
        reason: `Flask app ${target} without gunicorn → flask run`,
        file,
        port: argPort(5000, 'flask run --port 5000', file, 7, '{port}'),
      };
    },
  },
  {
    name: 'Streamlit',
    match: (input) => {
      if (!input.dependencies.has('streamlit')) return undefined;
      for (const candidate of ['streamlit_app.py', 'app.py', 'main.py', 'Home.py']) {
        const text = input.files.read(joinPath(input.root, candidate));
        const line = text === undefined ? undefined : lineOf(text, /^\s*import streamlit|^\s*from streamlit/);
        if (line === undefined) continue;
        const file = `${joinPath(input.root, candidate)}:${line}`;
        return {
          value: execCommand('streamlit', 'run', candidate, '--server.address', '0.0.0.0', '--server.port', '8501'),
          reason: `${candidate} imports streamlit → streamlit run`,
          file,
          port: argPort(8501, 'streamlit --server.port 8501', file, 6, '{port}'),
        };
      }
      return undefined;
    },
  },
  {
    name: 'notebooks',
    match: (input) => {
      const server = input.dependencies.has('jupyterlab') ? 'lab' : input.dependencies.has('notebook') || input.dependencies.has('jupyter') ? (input.dependencies.has('jupyter') ? 'lab' : 'notebook') : undefined;
      if (!server) return undefined;
      const notebooks = [...fileNames(input.files, input.root), ...fileNames(input.files, joinPath(input.root, 'notebooks')).map((name) => `notebooks/${name}`)].filter((name) => name.endsWith('.ipynb'));
      const first = notebooks[0];
      if (first === undefined) return undefined;
      input.warnings.push({
        code: 'jupyter-token',
        message: 'Jupyter prints its access token in the container log (docker logs); anyone who can reach port 8888 with it can run code',
      });
      const file = joinPath(input.root, first);
      return {
        value: execCommand('jupyter', server, '--ip=0.0.0.0', '--port=8888', '--no-browser', '--ServerApp.root_dir=/app'),
        reason: `${notebooks.length} notebook(s) (${first}${notebooks.length > 1 ? ', …' : ''}) and ${server === 'lab' ? 'jupyterlab' : 'notebook'} in the dependencies → Jupyter ${server === 'lab' ? 'Lab' : 'Notebook'}`,
        file,
        port: argPort(8888, 'Jupyter --port=8888', file, 3, '--port={port}'),
      };
    },
  },
  {
    name: 'console script',
    match: (input) => {
      const scripts = input.projectScripts;
      if (scripts.length === 0) return undefined;
      const file = joinPath(input.root, 'pyproject.toml');
      if (scripts.length > 1) {
        return {
          key: 'start',
          message: `${file} declares several console scripts: ${scripts.join(', ')}`,
          candidates: [...scripts],
          override: '--cmd, or "cmd" in pack.json',
        };
      }
      const name = scripts[0] as string;
      const section = objectField(objectField(input.pyproject, 'project'), 'scripts') ? '[project.scripts]' : '[tool.poetry.scripts]';
      return { value: execCommand(name), reason: `pyproject.toml ${section} declares the console script "${name}"`, file };
    },
  },
  {
    name: '__main__.py',
    match: (input) => {
      const packages: string[] = [];
      for (const base of ['', 'src']) {
        for (const name of dirNames(input.files, joinPath(input.root, base))) {
          if (name.startsWith('.') || name === 'tests' || name === 'src') continue;
          if (isFile(input.files, joinPath(input.root, joinPath(base, `${name}/__main__.py`)))) packages.push(joinPath(base, name));
        }
      }
      if (packages.length === 0) return undefined;
      if (packages.length > 1) {
        return {
          key: 'start',
          message: `several packages have a __main__.py: ${packages.join(', ')}`,
          candidates: packages.map((pkg) => `python -m ${pkg.replace(/^src\//, '')}`),
          override: '--cmd, or "cmd" in pack.json',
        };
      }
      const pkg = packages[0] as string;
      return {
        value: execCommand('python', '-m', pkg.replace(/^src\//, '')),
        reason: `${pkg}/__main__.py → python -m ${pkg.replace(/^src\//, '')}`,
        file: joinPath(input.root, `${pkg}/__main__.py`),
      };
    },
  },
  {
    name: 'script',
    match: (input) => {
      const scripts = ['main.py', 'app.py', 'run.py'].filter((name) => isFile(input.files, joinPath(input.root, name)));
      const first = scripts[0];
      if (!first) return undefined;
      const path = joinPath(input.root, first);
      const text = input.files.read(path) ?? '';
      const scan = scanPort(path, text, 'python');
      input.warnings.push(...scan.warnings);
      return {
        value: execCommand('python', first),
        reason: `${first} → python ${first}${scripts.length > 1 ? ' (main.py, app.py, run.py in that order)' : ''}`,
        file: path,
        ...(scripts.length > 1 ? { over: scripts.slice(1).map((name) => joinPath(input.root, name)) } : {}),
        ...(scan.port ? { port: scan.port } : {}),
      };
    },
  },
];

export function detectPythonStart(input: PythonStartInput): StartFact | Ambiguity | undefined {
  for (let i = 0; i < RULES.length; i += 1) {
    const rule = RULES[i] as Rule;
    const found = rule.match(input);
    if (!found) continue;
    if ('key' in found) return found;
    // Which later rules would also have matched: reported as what this choice was made over.
    const also: string[] = [];
    const quiet: PythonStartInput = { ...input, warnings: [] };
    for (const later of RULES.slice(i + 1)) {
      const other = later.match(quiet);
      if (other && !('key' in other)) also.push(`${later.name}: ${other.reason}`);
    }
    const over = [...(found.over ?? []), ...also];
    return { ...found, ...(over.length > 0 ? { over } : {}) };
  }
  return undefined;
}
