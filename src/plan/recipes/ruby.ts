/** Ruby recipe (`ruby.Dockerfile`): gems compiled in a build stage, copied into a slim final image. */
import type { FactWarning } from '../../detect/facts.js';
import { joinPath } from '../../detect/project-files.js';
import type { RubyFacts } from '../../detect/ruby.js';
import { BASE_IMAGES } from '../base-images.js';
import { cite, copyManifestsBlock, decideBase, decideStartAndPort, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { runBlock, sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export const DEFAULT_RUBY = '3.3';

export function rubyRecipe({ facts, settings }: RecipeInput<RubyFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const version = facts.rubyVersion ?? { value: DEFAULT_RUBY, reason: `no Ruby version declared → Ruby ${DEFAULT_RUBY}` };
  if (!facts.rubyVersion) warnings.push({ code: 'runtime-default', message: `the project does not say which Ruby it needs; using ${DEFAULT_RUBY} (pin it in .ruby-version)` });
  const image = BASE_IMAGES.ruby(version.value);
  decisions.push(fromDetected('runtime', version, `Ruby ${version.value}`));
  const base = decideBase(image, cite(`${version.reason} → ${image}`, version.file), settings, version.file);
  decisions.push(base.decision);
  decisions.push(decision('packageManager', facts.bundlerVersion ? `Bundler ${facts.bundlerVersion.value}` : 'Bundler', 'detected', 'Gemfile found', { file: facts.markers[0] }));
  decisions.push(fromDetected('lockfile', facts.lockfile, facts.lockfile.value === null ? null : joinPath(facts.root, facts.lockfile.value)));
  decisions.push(decision('install', 'bundle install', 'detected', facts.install.reason, { file: facts.lockfile.file ?? facts.markers[0] }));
  decisions.push(facts.precompile ? fromDetected('build', facts.precompile, facts.precompile.value) : decision('build', null, 'detected', 'no assets to precompile'));
  const start = decideStartAndPort(facts.start, settings, warnings, 'a Procfile, bin/rails, config.ru, app.rb/main.rb');
  decisions.push(...start.decisions);
  decisions.push(decision('user', '10001:10001', 'default', 'an unprivileged "app" user the Dockerfile creates'));
  const setup = facts.bundlerVersion
    ? runBlock([{ comment: cite(`${facts.bundlerVersion.reason} → the same Bundler`, facts.bundlerVersion.file), run: `gem install bundler --version ${facts.bundlerVersion.value} --no-document` }])
    : '';
  return {
    template: 'ruby.Dockerfile',
    values: {
      runtime_reason: base.comment,
      base_image: base.image,
      app_env: facts.rails ? '# Rails in production mode, logging to stdout (docker logs).\nENV RAILS_ENV=production \\\n    RAILS_LOG_TO_STDOUT=1' : '',
      setup,
      install_reason: cite(facts.install.reason, facts.lockfile.file),
      copy_manifests: copyManifestsBlock(facts.root, facts.manifests),
      install: facts.install.value,
      source: sourceDir(facts.root),
      precompile: facts.precompile ? runBlock([{ comment: cite(facts.precompile.reason, facts.precompile.file), run: facts.precompile.value }]) : '',
      writable_dirs: facts.rails ? '# The directories Rails writes to at run time belong to the app user; the code stays read-only.\nRUN mkdir -p db log storage tmp && chown -R 10001:10001 db log storage tmp' : '',
      user_reason: 'The unprivileged "app" user created above (numeric, so Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      start_reason: start.startComment,
      cmd: execForm(start.argv ?? ['irb']),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: facts.manifests.map((manifest) => joinPath(facts.root, manifest)),
  };
}
