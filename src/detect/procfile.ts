/**
 * Procfile (Heroku, Dokku, foreman): `type: command` lines. When present it is the project's own
 * statement of how to run it, so it outranks every heuristic. Precedence: the `web` process; else
 * the only process type (other than `release`, which Heroku runs once per deploy, not as the app);
 * else an ambiguity listing the types.
 */
import { parseCommand } from './command.js';
import type { Ambiguity, PortFact, StartFact } from './facts.js';
import type { ProjectFiles } from './project-files.js';
import { joinPath } from './project-files.js';

export interface ProcfileProcess {
  readonly type: string;
  readonly command: string;
  readonly line: number;
}

export interface ProcfileFacts {
  readonly path: string;
  readonly processes: readonly ProcfileProcess[];
}

export function readProcfile(files: ProjectFiles, dir: string): ProcfileFacts | undefined {
  const path = joinPath(dir, 'Procfile');
  const text = files.read(path);
  if (text === undefined) return undefined;
  const processes: ProcfileProcess[] = [];
  text.split('\n').forEach((raw, index) => {
    const match = /^([A-Za-z0-9_-]+):\s*(.+?)\s*$/.exec(raw.replace(/\r$/, ''));
    if (match) processes.push({ type: match[1] as string, command: match[2] as string, line: index + 1 });
  });
  return { path, processes };
}

/** The start command a Procfile names, or the ambiguity when it names several and no `web`. */
export function procfileStart(procfile: ProcfileFacts, defaultPort: number): StartFact | Ambiguity | undefined {
  const runnable = procfile.processes.filter((process) => process.type !== 'release');
  if (runnable.length === 0) return undefined;
  const web = runnable.find((process) => process.type === 'web');
  const others = runnable.filter((process) => process !== web).map((process) => process.type);
  const chosen = web ?? (runnable.length === 1 ? runnable[0] : undefined);
  if (!chosen) {
    return {
      key: 'start',
      message: `${procfile.path} has several process types and no "web": ${runnable.map((p) => p.type).join(', ')}`,
      candidates: runnable.map((p) => `${p.type}: ${p.command}`),
      override: '--cmd, or "cmd" in pack.json (or name one process "web")',
    };
  }
  const file = `${procfile.path}:${chosen.line}`;
  const port = portFromCommandLine(chosen.command, file, defaultPort);
  return {
    value: parseCommand(chosen.command),
    reason: web ? `${procfile.path} "web" process` : `${procfile.path} has one process type, "${chosen.type}"`,
    file,
    ...(others.length > 0 ? { over: others.map((type) => `${procfile.path} "${type}" process`) } : {}),
    ...(port ? { port } : {}),
  };
}

/**
 * The port a command line implies: `$PORT` means the app reads PORT (the platform convention, which
 * the Dockerfile then sets); `--bind host:N`, `-b host:N`, `--port N`, `-p N` fix it.
 */
export function portFromCommandLine(command: string, file: string, defaultPort: number): PortFact | undefined {
  if (/\$\{?PORT\b/.test(command)) {
    return {
      value: defaultPort,
      reason: `the command reads $PORT; pack sets PORT=${defaultPort}`,
      file,
      via: { kind: 'env', name: 'PORT' },
    };
  }
  const match =
    /(?:--bind|-b)[= ]\s*(?:tcp:\/\/)?[^\s:]*:(\d{2,5})\b/.exec(command) ??
    /(?:--port|-p)[= ]\s*(\d{2,5})\b/.exec(command) ??
    /--(?:port)=(\d{2,5})\b/.exec(command);
  if (match) {
    return { value: Number(match[1]), reason: 'the command line names the port', file, via: { kind: 'fixed' } };
  }
  return undefined;
}
