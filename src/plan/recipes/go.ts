/**
 * Go recipe (`go.Dockerfile`): modules downloaded in their own layer, a static binary, and a
 * distroless final image. `--base` replaces the final image; the builder follows go.mod.
 */
import type { FactWarning } from '../../detect/facts.js';
import type { GoFacts } from '../../detect/go.js';
import { joinPath } from '../../detect/project-files.js';
import { BASE_IMAGES } from '../base-images.js';
import { ambiguityError, cite, copyManifestsBlock, decideBase, decideStartAndPort, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export const DEFAULT_GO = '1.23';

export function goRecipe({ facts, settings }: RecipeInput<GoFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  if ('key' in facts.mainPackage) throw ambiguityError(facts.mainPackage);
  const main = facts.mainPackage;
  const version = facts.goVersion ?? { value: DEFAULT_GO, reason: `go.mod has no go directive → Go ${DEFAULT_GO}` };
  const builder = BASE_IMAGES.golang(version.value);
  decisions.push(fromDetected('runtime', version, `Go ${version.value}`));
  decisions.push(decision('packageManager', 'Go modules', 'detected', 'go.mod found', { file: facts.markers[0] }));
  decisions.push(
    facts.manifests.includes('go.sum')
      ? decision('lockfile', joinPath(facts.root, 'go.sum'), 'detected', 'go.sum checks every module download', { file: joinPath(facts.root, 'go.sum') })
      : decision('lockfile', null, 'detected', facts.vendored ? 'modules are vendored (vendor/modules.txt)' : 'no go.sum'),
  );
  decisions.push(
    facts.download
      ? decision('install', facts.download.value, 'detected', facts.download.reason, { file: facts.download.file })
      : decision('install', null, 'detected', facts.vendored ? 'vendor/ holds the modules: nothing to download' : 'go.mod requires no modules'),
  );
  decisions.push(decision('build', `go build ${main.value}`, 'detected', main.reason, { file: main.file }));
  const start = decideStartAndPort(facts.start, settings, warnings, 'a package main');
  decisions.push(...start.decisions);
  const base = decideBase(BASE_IMAGES.distrolessStatic, 'a static Go binary needs no C library → distroless static (no shell, user 65532)', settings);
  decisions.push(base.decision);
  decisions.push(decision('user', '65532:65532', 'default', 'distroless "nonroot" (uid 65532)'));
  if (settings.cmd && settings.cmd.value.form === 'shell' && !settings.base) {
    warnings.push({ code: 'no-shell', message: `${settings.cmd.origin} needs a shell, but the distroless final image has none; give the command as an argv array or choose --base` });
  }
  const download = facts.download
    ? [
        `# ${cite(facts.download.reason, facts.download.file)}`,
        '# Only go.mod and go.sum are copied first, so this layer is rebuilt only when they change.',
        copyManifestsBlock(facts.root, facts.manifests),
        `RUN ${facts.download.value}`,
      ].join('\n')
    : '';
  return {
    template: 'go.Dockerfile',
    values: {
      runtime_reason: cite(`${version.reason} → ${builder}`, version.file),
      builder_image: builder,
      download,
      source: sourceDir(facts.root),
      build_reason: cite(main.reason, main.file),
      binary: facts.binary,
      main_package: main.value,
      base_reason: base.comment,
      base_image: base.image,
      user_reason: 'distroless\'s unprivileged "nonroot" user (uid 65532; numeric, so Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      start_reason: start.startComment,
      cmd: execForm(start.argv ?? [`/app/${facts.binary}`]),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: facts.download ? facts.manifests.map((manifest) => joinPath(facts.root, manifest)) : [],
  };
}
