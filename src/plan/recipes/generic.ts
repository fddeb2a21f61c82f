/** Fallback recipe (`generic.Dockerfile`): copy the project, run what the user or a start script says. */
import type { FactWarning } from '../../detect/facts.js';
import type { GenericFacts } from '../../detect/generic.js';
import { BASE_IMAGES } from '../base-images.js';
import { decideBase, decideStartAndPort, decision, execForm, type PlanDecision } from '../decision.js';
import { sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export function genericRecipe({ facts, settings }: RecipeInput<GenericFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const base = decideBase(BASE_IMAGES.debianSlim, 'no known project type → Debian slim (a shell and the usual tools)', settings);
  decisions.push(decision('runtime', null, 'default', 'no known project type'));
  decisions.push(base.decision);
  decisions.push(decision('install', null, 'default', 'unknown: fill in the TODO in the Dockerfile'));
  const start = decideStartAndPort(facts.start, settings, warnings, 'a Procfile, start.sh, run.sh, entrypoint.sh');
  decisions.push(...start.decisions);
  decisions.push(decision('user', '10001:10001', 'default', 'an unprivileged "app" user the Dockerfile creates'));
  return {
    template: 'generic.Dockerfile',
    values: {
      base_reason: base.comment,
      base_image: base.image,
      source: sourceDir(facts.root),
      user_reason: 'The unprivileged "app" user created above (numeric, so Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      start_reason: start.startComment,
      cmd: execForm(start.argv ?? ['/bin/sh']),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: [],
  };
}
