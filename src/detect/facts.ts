/**
 * What detection learned about a project, each fact with the file or rule that decided it. Detection
 * proposes; planning (src/plan) merges the user's overrides on top and renders the Dockerfile. Every
 * list here is in a fixed order (sorted, or the documented precedence), never in directory-listing or
 * object-key order, so that the same project always gives the same facts.
 */
import type { GenericFacts } from './generic.js';
import type { GoFacts } from './go.js';
import type { JavaFacts } from './java.js';
import type { NodeFacts } from './node.js';
import type { ProcfileFacts } from './procfile.js';
import type { PythonFacts } from './python.js';
import type { RubyFacts } from './ruby.js';
import type { RustFacts } from './rust.js';
import type { StaticFacts } from './static-site.js';

/** In the order detection reports them; `generic` is the fallback when nothing else matched. */
export const ECOSYSTEMS = ['node', 'python', 'go', 'rust', 'java', 'ruby', 'static', 'generic'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/** A decision detection proposes, with its evidence. */
export interface Detected<T> {
  readonly value: T;
  /** One line saying why, e.g. `package-lock.json found → npm ci`. */
  readonly reason: string;
  /** The file (and line, `server.js:12`) that decided it; absent for built-in defaults. */
  readonly file?: string;
  /** What it was chosen over, e.g. `["app.py", "run.py"]`. */
  readonly over?: readonly string[];
}

/** The decisions a plan reports, in the order it reports them. */
export const DECISION_KEYS = [
  'app',
  'ecosystem',
  'runtime',
  'packageManager',
  'lockfile',
  'install',
  'build',
  'start',
  'port',
  'baseImage',
  'user',
] as const;
export type DecisionKey = (typeof DECISION_KEYS)[number];

/**
 * A decision detection could not make without guessing: several candidates and no rule that ranks
 * them. Planning turns it into a usage error unless an override settles it.
 */
export interface Ambiguity {
  readonly key: DecisionKey;
  /** One line naming the file(s) involved, e.g. `Procfile has several process types and no "web"`. */
  readonly message: string;
  readonly candidates: readonly string[];
  /** The flag / config key that settles it, e.g. `--cmd or "cmd" in pack.json`. */
  readonly override: string;
}

export interface FactWarning {
  /** Stable identifier, e.g. `no-lockfile`, `loopback-bind`. */
  readonly code: string;
  readonly message: string;
  readonly file?: string;
}

/** A command as the user or the project wrote it. */
export type Command =
  | { readonly form: 'exec'; readonly argv: readonly string[] }
  | { readonly form: 'shell'; readonly script: string };

/** Where a port came from, and how the app learns it. */
export interface PortFact extends Detected<number> {
  /**
   * `env`: the app reads this variable (with the detected number as its fallback), so the generated
   * Dockerfile sets it and `--port` really moves the listener. `fixed`: the number is in the code or
   * the command line, and only the code can change it. `arg`: pack wrote the start command itself,
   * so `--port` rewrites that argument.
   */
  readonly via:
    | { readonly kind: 'env'; readonly name: string }
    | { readonly kind: 'fixed' }
    /** The start command's argv[index] carries the port, written as `format` with `{port}` in it. */
    | { readonly kind: 'arg'; readonly index: number; readonly format: string };
}

/** A start command with the port it implies, when it implies one. */
export interface StartFact extends Detected<Command> {
  readonly port?: PortFact;
}

export type EcosystemFacts = NodeFacts | PythonFacts | GoFacts | RustFacts | JavaFacts | RubyFacts | StaticFacts | GenericFacts;

/** A project found below the root, for monorepos: `--app PATH` picks one. */
export interface Subproject {
  readonly path: string;
  readonly ecosystem: Ecosystem;
  /** The file that marks it, e.g. `services/api/pyproject.toml`. */
  readonly marker: string;
}

export interface ProjectFacts {
  readonly schemaVersion: 1;
  /** The directory being built, relative to the project root (`.` = the root). */
  readonly app: Detected<string>;
  /** The project's own Dockerfile, when it has one: `pack build` uses it as-is. */
  readonly dockerfile?: { readonly path: string; readonly text: string };
  readonly dockerignore: { readonly present: boolean };
  /** The root `.gitignore` text, for translating into `.dockerignore` entries. */
  readonly gitignore?: string;
  readonly procfile?: ProcfileFacts;
  /** Every ecosystem whose marker files are in the app directory, in ECOSYSTEMS order (`generic` when none). */
  readonly ecosystems: readonly EcosystemFacts[];
  /** Projects below the root (only looked for when building the root). */
  readonly subprojects: readonly Subproject[];
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}
