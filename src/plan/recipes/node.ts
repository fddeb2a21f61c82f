/**
 * Node.js (and Bun) recipes: `node.Dockerfile` (install, code, run) or, when the package has a
 * build script, `node-build.Dockerfile` (production dependencies, build, final image). Yarn Berry
 * with Plug'n'Play keeps one stage: its dependency map is not a node_modules folder to swap.
 */
import type { NodeFacts } from '../../detect/node.js';
import { describeManager } from '../../detect/node.js';
import { joinPath } from '../../detect/project-files.js';
import { DEFAULT_NODE } from '../../detect/runtime-version.js';
import type { FactWarning } from '../../detect/facts.js';
import { BASE_IMAGES } from '../base-images.js';
import { cite, copyManifestsBlock, decideBase, decideStartAndPort, decideVersion, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { runBlock, sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export function nodeRecipe({ facts, settings }: RecipeInput<NodeFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  const manager = facts.packageManager.value;
  const bun = manager === 'bun';

  // Runtime and base image.
  let runtimeWhy: string;
  let defaultImage: string;
  if (bun) {
    const version = facts.bunVersion ?? { value: '1', reason: 'Bun 1.x' };
    if (settings.node) {
      warnings.push({ code: 'node-version-ignored', message: `${settings.node.origin}: a Bun project runs on Bun, not Node.js; ignored` });
    }
    decisions.push(fromDetected('runtime', version, `Bun ${version.value}`));
    defaultImage = BASE_IMAGES.bun(version.value);
    runtimeWhy = cite(`${version.reason} → ${defaultImage}`, version.file);
  } else {
    const version = decideVersion('Node.js', 'node', settings.node, facts.nodeVersion, DEFAULT_NODE, warnings);
    decisions.push(version.decision);
    defaultImage = BASE_IMAGES.node(version.version);
    runtimeWhy = `${version.why} → ${defaultImage}`;
  }
  const base = decideBase(defaultImage, runtimeWhy, settings, bun ? facts.bunVersion?.file : facts.nodeVersion?.file);
  decisions.push(base.decision);

  decisions.push(fromDetected('packageManager', facts.packageManager, describeManager(manager)));
  decisions.push(fromDetected('lockfile', facts.lockfile, facts.lockfile.value === null ? null : joinPath(facts.root, facts.lockfile.value)));

  const twoStage = facts.build !== undefined && facts.nodeModules;
  const install = facts.install;
  decisions.push(decision('install', install.value, 'detected', install.reason, { file: facts.lockfile.file ?? joinPath(facts.root, 'package.json') }));
  if (facts.build) decisions.push(fromDetected('build', facts.build, facts.build.value));
  else decisions.push(decision('build', null, 'detected', 'package.json has no scripts.build'));

  const start = decideStartAndPort(facts.start, settings, warnings, 'a Procfile, package.json scripts.start, "main", server.js');
  decisions.push(...start.decisions);
  const user = bun ? 'bun' : 'node';
  decisions.push(decision('user', '1000:1000', 'default', `the ${bun ? 'oven/bun' : 'node'} image's unprivileged "${user}" user`));

  const setup = runBlock(facts.setup.map((step) => ({ comment: cite(step.reason, step.file), run: step.value })));
  const runsManager = start.argv?.[0];
  const runtimeSetup = runsManager === 'pnpm' || (runsManager === 'yarn' && manager === 'yarn-berry') ? setup : '';
  const cmd = start.argv ?? [bun ? 'bun' : 'node'];
  const common = {
    runtime_reason: base.comment,
    base_image: base.image,
    setup,
    copy_manifests: copyManifestsBlock(facts.root, facts.manifests),
    source: sourceDir(facts.root),
    user_reason: `The image's unprivileged "${user}" user (numeric, so Kubernetes runAsNonRoot can verify it); the code stays owned by root, so the app cannot modify it.`,
    user: '1000:1000',
    workdir: facts.member === '' ? '' : `# The workspace being run: ${facts.member}\nWORKDIR /app/${facts.member}`,
    expose: start.expose,
    start_reason: start.startComment,
    cmd: execForm(cmd),
  };
  const installReason = cite(`${install.reason}`, facts.lockfile.file);
  const copiedFirst = facts.manifests.map((manifest) => joinPath(facts.root, manifest));
  if (twoStage && facts.build) {
    return {
      template: 'node-build.Dockerfile',
      values: {
        ...common,
        install_reason: installReason,
        install: install.value,
        install_all_reason: cite(facts.installAll.reason, facts.lockfile.file),
        install_all: facts.installAll.value,
        build_reason: cite(facts.build.reason, facts.build.file),
        build_command: facts.build.value,
        runtime_setup: runtimeSetup,
      },
      decisions,
      warnings,
      baseImage: base.image,
      copiedFirst,
    };
  }
  return {
    template: 'node.Dockerfile',
    values: {
      ...common,
      install_reason: installReason,
      install: install.value,
      build: facts.build ? runBlock([{ comment: cite(facts.build.reason, facts.build.file), run: facts.build.value }]) : '',
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst,
  };
}
