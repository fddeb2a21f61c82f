/**
 * The fallback when no ecosystem is recognised: the image still copies the project and runs
 * something sensible. Start precedence: Procfile > an executable start script at the root
 * (start.sh, run.sh, entrypoint.sh, docker-entrypoint.sh) > none (the Dockerfile says what to fill in).
 */
import { execCommand } from './command.js';
import type { Ambiguity, FactWarning, StartFact } from './facts.js';
import { procfileStart, readProcfile } from './procfile.js';
import { isFile, joinPath, type ProjectFiles } from './project-files.js';

export interface GenericFacts {
  readonly ecosystem: 'generic';
  readonly root: string;
  readonly markers: readonly string[];
  readonly start?: StartFact | Ambiguity;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

const START_SCRIPTS = ['start.sh', 'run.sh', 'entrypoint.sh', 'docker-entrypoint.sh'];

export function detectGeneric(files: ProjectFiles, root: string): GenericFacts {
  const procfile = readProcfile(files, root);
  let start: StartFact | Ambiguity | undefined = procfile ? procfileStart(procfile, 8080) : undefined;
  if (!start) {
    const scripts = START_SCRIPTS.filter((name) => isFile(files, joinPath(root, name)));
    const first = scripts[0];
    if (first) {
      start = {
        value: execCommand(`./${first}`),
        reason: `${first} at the project root (${START_SCRIPTS.join(' > ')})`,
        file: joinPath(root, first),
        ...(scripts.length > 1 ? { over: scripts.slice(1).map((name) => joinPath(root, name)) } : {}),
      };
    }
  }
  return {
    ecosystem: 'generic',
    root,
    markers: [],
    ...(start ? { start } : {}),
    warnings: [
      {
        code: 'no-ecosystem',
        message: 'no known project type (package.json, requirements.txt, pyproject.toml, go.mod, Cargo.toml, pom.xml, build.gradle, Gemfile, index.html): the Dockerfile only copies the files; fill in the install and start steps',
      },
    ],
    ambiguities: [],
  };
}
