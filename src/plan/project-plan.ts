/**
 * planProject: from detected facts and the user's settings to a plan that holds every decision with
 * its reason, the warnings, and the Dockerfile `pack build` would use (the project's own when it has
 * one, else the generated one). Pure and deterministic: the same facts and settings always give a
 * byte-identical plan, serialisable as JSON (`pack plan --json`, under "project").
 *
 * Precedence for every decision: command-line flag > config file (pack.json or package.json "pack")
 * > detection > pack's default.
 */
import { detectProject, type DetectOptions } from '../detect/detect-project.js';
import { DECISION_KEYS, type Ambiguity, type Ecosystem, type EcosystemFacts, type FactWarning, type ProjectFacts } from '../detect/facts.js';
import type { ProjectFiles } from '../detect/project-files.js';
import { UsageError } from '../errors.js';
import { stageImages } from '../dockerfile/instructions.js';
import { renderTemplate } from '../dockerfile/render.js';
import { loadTemplate } from '../dockerfile/templates.js';
import { lintDockerfile } from '../dockerfile/validate.js';
import { ambiguityError, decision, type PlanDecision } from './decision.js';
import { generateDockerignore } from './dockerignore-file.js';
import type { Recipe, RecipeInput } from './recipe.js';
import { genericRecipe } from './recipes/generic.js';
import { goRecipe } from './recipes/go.js';
import { javaRecipe } from './recipes/java.js';
import { nodeRecipe } from './recipes/node.js';
import { pythonRecipe } from './recipes/python.js';
import { rubyRecipe } from './recipes/ruby.js';
import { rustRecipe } from './recipes/rust.js';
import { staticRecipe } from './recipes/static-site.js';
import { overrideName, readProjectConfig, resolveSettings, type PlanFlags, type ProjectConfig, type Settings } from './settings.js';

/** The OCI label build args every generated Dockerfile declares; `pack build` passes a value for each. */
export const OCI_LABEL_ARGS = [
  { arg: 'OCI_SOURCE', label: 'org.opencontainers.image.source' },
  { arg: 'OCI_REVISION', label: 'org.opencontainers.image.revision' },
  { arg: 'OCI_VERSION', label: 'org.opencontainers.image.version' },
  { arg: 'OCI_CREATED', label: 'org.opencontainers.image.created' },
] as const;

export interface LabelArg {
  readonly arg: string;
  readonly label: string;
}

export interface PlanWarning {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
}

export interface GeneratedDockerfile {
  /** The template it was rendered from, e.g. `templates/node.Dockerfile`. */
  readonly template: string;
  readonly text: string;
  /** Context paths the Dockerfile copies before `COPY . .` (the dependency manifests). */
  readonly copiedFirst: readonly string[];
  /** The `.dockerignore` `pack init` writes next to it. */
  readonly dockerignore: string;
}

export interface ProjectPlan {
  readonly schemaVersion: 1;
  /** The directory being built, relative to the project root (`.` = the root). */
  readonly app: string;
  readonly ecosystem: Ecosystem;
  /** Every decision, in DECISION_KEYS order, each with its source and reason. */
  readonly decisions: readonly PlanDecision[];
  readonly warnings: readonly PlanWarning[];
  /** The Dockerfile `pack build` uses. */
  readonly dockerfile: {
    readonly source: 'project' | 'generated';
    /** Where it is (project) or where `pack init` writes it (generated), relative to the project root. */
    readonly path: string;
    readonly text: string;
  };
  /** What pack generates; null only when the project has its own Dockerfile and generation needs a choice pack will not guess. */
  readonly generated: GeneratedDockerfile | null;
  /** What `pack build` needs to know about the Dockerfile it uses. */
  readonly build: {
    /** The final stage's image (`--base` replaces it in generated files). */
    readonly baseImage: string | null;
    /** Every image the FROM lines pull, in order (references to earlier stages left out). */
    readonly images: readonly string[];
    /** Label build args the Dockerfile declares ([] for a project's own Dockerfile). */
    readonly labelArgs: readonly LabelArg[];
  };
}

export interface PlanOptions {
  /** Overrides from the command line. */
  readonly flags?: PlanFlags;
  /** The project's config (readProjectConfig); flags win over it. */
  readonly config?: ProjectConfig;
  /**
   * Fail when pack cannot generate a Dockerfile, even if the project has its own (`pack init`
   * needs the generated file; `pack plan` and `pack build` do not).
   */
  readonly requireGenerated?: boolean;
}

type AnyRecipe = (input: RecipeInput<never>) => Recipe;

const RECIPES: Record<Ecosystem, AnyRecipe> = {
  node: nodeRecipe as AnyRecipe,
  python: pythonRecipe as AnyRecipe,
  go: goRecipe as AnyRecipe,
  rust: rustRecipe as AnyRecipe,
  java: javaRecipe as AnyRecipe,
  ruby: rubyRecipe as AnyRecipe,
  static: staticRecipe as AnyRecipe,
  generic: genericRecipe as AnyRecipe,
};

const ECOSYSTEM_NAMES: Record<Ecosystem, string> = {
  node: 'Node.js',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
  java: 'Java',
  ruby: 'Ruby',
  static: 'static site',
  generic: 'unknown (generic)',
};

/** Picks the ecosystem: --ecosystem / config > the only one detected > static > generic. */
function chooseEcosystem(facts: ProjectFacts, settings: Settings): { chosen: EcosystemFacts; decision: PlanDecision } | Ambiguity {
  const present = facts.ecosystems;
  const override = settings.ecosystem;
  if (override) {
    const chosen = present.find((candidate) => candidate.ecosystem === override.value);
    if (!chosen) {
      throw new UsageError('ECOSYSTEM_NOT_FOUND', `${override.origin}: no ${ECOSYSTEM_NAMES[override.value]} project files in ${facts.app.value}`, {
        hint: `detected: ${present.map((candidate) => candidate.ecosystem).join(', ') || 'nothing'}`,
      });
    }
    return {
      chosen,
      decision: decision('ecosystem', override.value, override.source, override.origin, {
        over: present.filter((candidate) => candidate !== chosen && candidate.ecosystem !== 'generic').map((candidate) => `${candidate.ecosystem} (${candidate.markers.join(', ')})`),
      }),
    };
  }
  const real = present.filter((candidate) => candidate.ecosystem !== 'static' && candidate.ecosystem !== 'generic');
  if (real.length > 1) {
    return {
      key: 'ecosystem',
      message: `several project types in ${facts.app.value}: ${real.map((candidate) => `${candidate.ecosystem} (${candidate.markers.join(', ')})`).join(', ')}`,
      candidates: real.map((candidate) => candidate.ecosystem),
      override: overrideName('ecosystem'),
    };
  }
  const site = present.find((candidate) => candidate.ecosystem === 'static');
  const chosen = real[0] ?? site ?? present.find((candidate) => candidate.ecosystem === 'generic');
  if (!chosen) throw new Error('detection returned no ecosystem, not even generic');
  const over = real[0] && site ? [`static site (${site.markers.join(', ')}): a ${ECOSYSTEM_NAMES[chosen.ecosystem]} project serves or builds its own HTML`] : undefined;
  return {
    chosen,
    decision: decision(
      'ecosystem',
      chosen.ecosystem,
      chosen.ecosystem === 'generic' ? 'default' : 'detected',
      chosen.ecosystem === 'generic' ? 'no known manifest found' : `${chosen.markers.join(', ')} found → ${ECOSYSTEM_NAMES[chosen.ecosystem]}`,
      { file: chosen.markers[0], over },
    ),
  };
}

function dedupeWarnings(warnings: readonly FactWarning[]): PlanWarning[] {
  const seen = new Set<string>();
  const out: PlanWarning[] = [];
  for (const warning of warnings) {
    const key = `${warning.code}\n${warning.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ code: warning.code, message: warning.message, ...(warning.file !== undefined ? { file: warning.file } : {}) });
  }
  return out;
}

function sortDecisions(decisions: readonly PlanDecision[]): PlanDecision[] {
  return decisions
    .map((item, index) => ({ item, index }))
    .sort((a, b) => DECISION_KEYS.indexOf(a.item.key) - DECISION_KEYS.indexOf(b.item.key) || a.index - b.index)
    .map(({ item }) => item);
}

interface Generation {
  readonly ecosystem: Ecosystem;
  readonly decisions: readonly PlanDecision[];
  readonly warnings: readonly FactWarning[];
  readonly generated: GeneratedDockerfile;
}

function generate(facts: ProjectFacts, settings: Settings): Generation {
  for (const ambiguity of facts.ambiguities) throw ambiguityError(ambiguity);
  const choice = chooseEcosystem(facts, settings);
  if ('key' in choice) throw ambiguityError(choice);
  const { chosen } = choice;
  for (const ambiguity of chosen.ambiguities) throw ambiguityError(ambiguity);
  const recipe = RECIPES[chosen.ecosystem]({ facts: chosen as never, project: facts, settings });
  const templateText = loadTemplate(recipe.template);
  const text = renderTemplate(recipe.template, templateText, recipe.values);
  // A generated Dockerfile that fails the linter is a bug in pack, never the user's problem.
  const problems = lintDockerfile(text);
  if (problems.length > 0) {
    const first = problems[0];
    throw new Error(`pack generated an invalid Dockerfile from templates/${recipe.template} (line ${first?.line}: ${first?.message})`);
  }
  const extra = chosen.warnings.some((warning) => warning.code === 'npmrc-token') ? [`${facts.app.value === '.' ? '' : `${facts.app.value}/`}.npmrc`] : [];
  const dockerignore = generateDockerignore({
    ecosystem: chosen.ecosystem,
    app: 'root' in chosen && chosen.root !== '' ? chosen.root : '.',
    ...(facts.gitignore !== undefined ? { gitignore: facts.gitignore } : {}),
    keep: recipe.copiedFirst,
    extra,
  });
  const appDecision = decision('app', facts.app.value, settings.app?.source ?? (facts.app.file ? 'detected' : 'default'), facts.app.reason, { file: facts.app.file });
  return {
    ecosystem: chosen.ecosystem,
    decisions: [appDecision, choice.decision, ...recipe.decisions],
    warnings: [...facts.warnings, ...chosen.warnings, ...recipe.warnings],
    generated: { template: `templates/${recipe.template}`, text, copiedFirst: recipe.copiedFirst, dockerignore },
  };
}

/**
 * Plans the build of a detected project. Throws a UsageError when a decision needs the user (an
 * ambiguity) and the project has no Dockerfile of its own; with one, the problem becomes a warning,
 * since the build does not depend on it.
 */
export function planProject(facts: ProjectFacts, options: PlanOptions = {}): ProjectPlan {
  const settings = resolveSettings(options.flags, options.config);
  const own = facts.dockerfile;
  let generation: Generation | undefined;
  let skipped: PlanWarning | undefined;
  try {
    generation = generate(facts, settings);
  } catch (error) {
    if (!own || options.requireGenerated || !(error instanceof UsageError)) throw error;
    skipped = { code: 'generation-skipped', message: `pack cannot generate a Dockerfile without a choice (${error.message}); the project's own ${own.path} is used` };
  }
  const dockerfile = own
    ? { source: 'project' as const, path: own.path, text: own.text }
    : { source: 'generated' as const, path: 'Dockerfile', text: (generation as Generation).generated.text };
  const images = stageImages(dockerfile.text).map((stage) => stage.image);
  const warnings = dedupeWarnings([...(generation?.warnings ?? []), ...(skipped ? [skipped] : [])]);
  if (own && generation) {
    warnings.push({ code: 'own-dockerfile', message: `the project has its own ${own.path}: pack build uses it as it is; the generated one is shown for comparison (pack init --force would replace it)`, file: own.path });
  }
  return {
    schemaVersion: 1,
    app: facts.app.value,
    ecosystem: generation?.ecosystem ?? facts.ecosystems[0]?.ecosystem ?? 'generic',
    decisions: sortDecisions(generation?.decisions ?? []),
    warnings,
    dockerfile,
    generated: generation?.generated ?? null,
    build: {
      baseImage: images[images.length - 1] ?? null,
      images,
      labelArgs: dockerfile.source === 'generated' ? OCI_LABEL_ARGS.map((item) => ({ ...item })) : [],
    },
  };
}

export interface CreatePlanOptions {
  readonly flags?: PlanFlags;
  /** See PlanOptions.requireGenerated. */
  readonly requireGenerated?: boolean;
  /** The project's Dockerfile (`-f`): see DetectOptions.dockerfile. */
  readonly dockerfile?: DetectOptions['dockerfile'];
}

/**
 * The whole pipeline for a project directory seen through `files`: config, settings, detection,
 * plan. This is what `pack plan`, `pack init` and `pack build` call.
 */
export function createProjectPlan(files: ProjectFiles, options: CreatePlanOptions = {}): { facts: ProjectFacts; plan: ProjectPlan } {
  const config = readProjectConfig(files);
  // Settings are validated before detection reads anything else: a bad flag fails fast.
  const settings = resolveSettings(options.flags, config);
  const facts = detectProject(files, {
    ...(settings.app ? { app: settings.app.value, appOrigin: settings.app.origin } : {}),
    ...(options.dockerfile !== undefined ? { dockerfile: options.dockerfile } : {}),
  });
  const plan = planProject(facts, {
    ...(options.flags ? { flags: options.flags } : {}),
    ...(config ? { config } : {}),
    ...(options.requireGenerated ? { requireGenerated: true } : {}),
  });
  return { facts, plan };
}
