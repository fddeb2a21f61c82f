/**
 * Java recipe (`java.Dockerfile`): dependencies resolved in their own layer with the JDK image,
 * the packaged application copied into a JRE image. `--base` replaces the JRE image.
 */
import type { FactWarning } from '../../detect/facts.js';
import type { JavaFacts } from '../../detect/java.js';
import { joinPath } from '../../detect/project-files.js';
import { BASE_IMAGES } from '../base-images.js';
import { cite, copyManifestsBlock, decideBase, decideStartAndPort, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export const DEFAULT_JAVA = '21';

export function javaRecipe({ facts, settings }: RecipeInput<JavaFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const version = facts.javaVersion ?? { value: DEFAULT_JAVA, reason: `no Java version declared → Java ${DEFAULT_JAVA} (LTS)` };
  if (!facts.javaVersion) warnings.push({ code: 'runtime-default', message: `the project does not say which Java version it needs; using ${DEFAULT_JAVA} (set maven.compiler.release, a toolchain, or .java-version)` });
  const maven = facts.tool.value === 'maven';
  const builder = facts.wrapper ? BASE_IMAGES.jdk(version.value) : maven ? BASE_IMAGES.maven(version.value) : BASE_IMAGES.gradle(version.value);
  decisions.push(fromDetected('runtime', version, `Java ${version.value}`));
  decisions.push(fromDetected('packageManager', facts.tool, `${maven ? 'Maven' : 'Gradle'}${facts.wrapper ? ' (wrapper)' : ''}`));
  decisions.push(decision('lockfile', null, 'detected', `${maven ? 'Maven' : 'Gradle'} builds resolve versions from the build file; no lockfile`));
  decisions.push(decision('install', facts.prefetch.value, 'detected', facts.prefetch.reason, { file: facts.tool.file }));
  decisions.push(decision('build', facts.packageCommand.value, 'detected', facts.packageCommand.reason, { file: facts.tool.file }));
  const start = decideStartAndPort(facts.start, settings, warnings, 'a runnable artifact');
  decisions.push(...start.decisions);
  const base = decideBase(BASE_IMAGES.jre(version.value), `${cite(version.reason, version.file)} → a JRE is enough to run`, settings, version.file);
  decisions.push(base.decision);
  decisions.push(decision('user', '10001:10001', 'default', 'an unprivileged uid (the JRE image has no such user; the JVM needs none)'));
  const artifact = facts.artifact;
  const packageStep =
    artifact.kind === 'jar'
      ? [
          'RUN set -e; \\',
          `    ${facts.packageCommand.value}; \\`,
          `    jars=$(ls ${artifact.glob} 2>/dev/null | grep -v -e '-plain\\.jar$' -e '-sources\\.jar$' -e '-javadoc\\.jar$' || true); \\`,
          `    if [ "$(echo $jars | wc -w)" -ne 1 ]; then echo "expected one runnable jar (${artifact.glob}), found: $jars" >&2; exit 1; fi; \\`,
          '    mkdir -p /out && cp $jars /out/app.jar',
        ].join('\n')
      : `RUN ${facts.packageCommand.value} \\\n && mkdir -p /out && cp -R ${artifact.dir}/. /out/`;
  return {
    template: 'java.Dockerfile',
    values: {
      tool: maven ? 'Maven' : 'Gradle',
      builder_reason: cite(`${facts.tool.reason}, ${facts.wrapper ? 'wrapper committed → the JDK image runs it' : 'no wrapper → the build tool\'s image'} (${version.reason}) → ${builder}`, version.file),
      builder_image: builder,
      prefetch_reason: cite(facts.prefetch.reason, facts.tool.file),
      copy_manifests: copyManifestsBlock(facts.root, facts.manifests),
      prefetch: facts.prefetch.value,
      source: sourceDir(facts.root),
      package_reason: cite(facts.packageCommand.reason, facts.tool.file),
      package_step: packageStep,
      runtime_reason: base.comment,
      base_image: base.image,
      user_reason: 'An unprivileged uid (numeric: it needs no /etc/passwd entry, and Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      start_reason: start.startComment,
      cmd: execForm(start.argv ?? ['java', '-jar', '/app/app.jar']),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: facts.manifests.map((manifest) => joinPath(facts.root, manifest.replace(/\/$/, ''))),
  };
}
