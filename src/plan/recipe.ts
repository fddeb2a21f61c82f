/**
 * What every recipe returns: the template to render with its values, the decisions behind them,
 * and what `pack build` and `pack init` need to know about the result.
 */
import type { FactWarning, ProjectFacts } from '../detect/facts.js';
import type { TemplateValues } from '../dockerfile/render.js';
import type { PlanDecision } from './decision.js';
import type { Settings } from './settings.js';

export interface RecipeInput<F> {
  readonly facts: F;
  readonly project: ProjectFacts;
  readonly settings: Settings;
}

export interface Recipe {
  /** Template file under templates/, e.g. `node.Dockerfile`. */
  readonly template: string;
  readonly values: TemplateValues;
  readonly decisions: readonly PlanDecision[];
  readonly warnings: readonly FactWarning[];
  /** The final stage's image (what `--base` replaces). */
  readonly baseImage: string;
  /** Files the Dockerfile copies before `COPY . .`, relative to the build context. */
  readonly copiedFirst: readonly string[];
}

/** The build context path of the project directory, as COPY sources want it: `.` or `api/`. */
export function sourceDir(root: string): string {
  return root === '' || root === '.' ? '.' : `${root}/`;
}

/** `# reason` + `RUN command` lines for an optional block; '' when there is nothing. */
export function runBlock(steps: ReadonlyArray<{ readonly comment: string; readonly run: string }>): string {
  return steps.map((step) => `# ${step.comment}\nRUN ${step.run}`).join('\n');
}
