/** Static site recipe (`static.Dockerfile`): the files, served by an unprivileged nginx on 8080. */
import { execCommand } from '../../detect/command.js';
import type { FactWarning } from '../../detect/facts.js';
import type { StaticFacts } from '../../detect/static-site.js';
import { BASE_IMAGES } from '../base-images.js';
import { decideBase, decideStartAndPort, decision, execForm, type PlanDecision } from '../decision.js';
import { sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export function staticRecipe({ facts, settings }: RecipeInput<StaticFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const marker = facts.markers[0] as string;
  const base = decideBase(BASE_IMAGES.nginx, `${marker} and no other project type → nginx (unprivileged build)`, settings, marker);
  decisions.push(decision('runtime', 'nginx', 'detected', `${marker} found`, { file: marker }));
  decisions.push(base.decision);
  decisions.push(decision('install', null, 'detected', 'a static site has nothing to install'));
  decisions.push(decision('build', null, 'detected', 'a static site has nothing to build'));
  const start = decideStartAndPort(
    {
      value: execCommand('nginx', '-g', 'daemon off;'),
      reason: 'nginx in the foreground',
      file: marker,
      port: { value: 8080, reason: 'the unprivileged nginx image listens on 8080', via: { kind: 'fixed' } },
    },
    settings,
    warnings,
    'index.html',
  );
  decisions.push(...start.decisions);
  decisions.push(decision('user', '101:101', 'default', 'the nginx image\'s unprivileged "nginx" user'));
  return {
    template: 'static.Dockerfile',
    values: {
      base_reason: base.comment,
      base_image: base.image,
      marker,
      source: sourceDir(facts.root),
      user_reason: 'The image\'s unprivileged "nginx" user (uid 101; numeric, so Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      cmd: execForm(start.argv ?? ['nginx', '-g', 'daemon off;']),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: [],
  };
}
