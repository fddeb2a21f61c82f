/**
 * Rust recipe (`rust.Dockerfile`): dependencies compiled against stub sources in their own layer,
 * then the crate; a distroless (glibc) final image, or Debian slim when a crate links OpenSSL.
 */
import type { FactWarning } from '../../detect/facts.js';
import { joinPath } from '../../detect/project-files.js';
import type { RustFacts } from '../../detect/rust.js';
import { BASE_IMAGES } from '../base-images.js';
import { ambiguityError, cite, copyManifestsBlock, decideBase, decideStartAndPort, decision, execForm, fromDetected, type PlanDecision } from '../decision.js';
import { sourceDir, type Recipe, type RecipeInput } from '../recipe.js';

export const DEFAULT_RUST = '1.83';

export function rustRecipe({ facts, settings }: RecipeInput<RustFacts>): Recipe {
  const warnings: FactWarning[] = [];
  const decisions: PlanDecision[] = [];
  if ('key' in facts.binary) throw ambiguityError(facts.binary);
  const binary = facts.binary;
  const version = facts.rustVersion ?? { value: DEFAULT_RUST, reason: `no rust-toolchain or rust-version → Rust ${DEFAULT_RUST}` };
  const builder = BASE_IMAGES.rust(version.value);
  decisions.push(fromDetected('runtime', version, `Rust ${version.value}`));
  decisions.push(decision('packageManager', 'Cargo', 'detected', 'Cargo.toml found', { file: facts.markers[0] }));
  decisions.push(fromDetected('lockfile', facts.lockfile, facts.lockfile.value === null ? null : joinPath(facts.root, facts.lockfile.value)));
  const locked = facts.lockfile.value !== null ? ' --locked' : '';
  const openssl = facts.nativeDeps.includes('openssl-sys');

  const stubs = facts.stubs;
  const stubCommands = stubs.map((stub) => (/(^|\/)lib\.rs$/.test(stub) ? `touch ${stub}` : `echo 'fn main() {}' > ${stub}`));
  const stubDirs = [...new Set(stubs.map((stub) => stub.slice(0, stub.lastIndexOf('/'))).filter((dir) => dir !== ''))].sort();
  const dependencies = facts.cachedDependencies
    ? [
        `# ${cite(`${facts.lockfile.value !== null ? 'Cargo.lock → ' : ''}dependencies compiled on their own, against stub sources, so this layer is rebuilt only when the manifests change`, facts.lockfile.file)}`,
        copyManifestsBlock(facts.root, facts.manifests),
        `RUN mkdir -p ${stubDirs.join(' ')} \\`,
        ...stubCommands.map((command) => ` && ${command} \\`),
        ` && cargo build --release${locked} \\`,
        ` && rm ${stubs.join(' ')}`,
      ].join('\n')
    : '';
  decisions.push(decision('install', facts.cachedDependencies ? `cargo build --release${locked} (stub sources)` : null, 'detected', facts.cachedDependencies ? 'dependencies compiled before the code is copied' : 'a workspace: dependencies compile with the code', { file: facts.markers[0] }));
  // The stubs were compiled after the real files' modification times (COPY keeps them), so cargo
  // would think the crate is up to date: touching the sources makes it rebuild them.
  const touch = facts.cachedDependencies ? `touch ${stubs.join(' ')} && ` : '';
  const buildCommand = `${touch}cargo build --release${locked} --bin ${binary.value} && mkdir -p /out && cp target/release/${binary.value} /out/`;
  decisions.push(decision('build', `cargo build --release --bin ${binary.value}`, 'detected', binary.reason, { file: binary.file, over: binary.over }));
  const start = decideStartAndPort(facts.start, settings, warnings, 'a binary target');
  decisions.push(...start.decisions);
  const defaultBase = openssl ? BASE_IMAGES.debianSlim : BASE_IMAGES.distrolessCc;
  const base = decideBase(
    defaultBase,
    openssl ? 'Cargo.lock has openssl-sys, which links libssl → Debian slim with libssl3' : 'a Rust binary links glibc and libgcc → distroless cc (no shell, user 65532)',
    settings,
    openssl ? joinPath(facts.root, 'Cargo.lock') : undefined,
  );
  decisions.push(base.decision);
  decisions.push(decision('user', '65532:65532', 'default', 'an unprivileged uid (distroless "nonroot")'));
  const apt = (packages: string): string => `RUN apt-get update \\\n && apt-get install --yes --no-install-recommends ${packages} \\\n && rm -rf /var/lib/apt/lists/*`;
  return {
    template: 'rust.Dockerfile',
    values: {
      runtime_reason: cite(`${version.reason} → ${builder}`, version.file),
      builder_image: builder,
      build_packages: openssl ? `# openssl-sys (in Cargo.lock) compiles against OpenSSL's headers.\n${apt('pkg-config libssl-dev')}` : '',
      dependencies,
      source: sourceDir(facts.root),
      build_reason: cite(binary.reason, binary.file),
      build_command: buildCommand,
      base_reason: base.comment,
      base_image: base.image,
      runtime_packages: openssl && !settings.base ? `# The OpenSSL library openssl-sys links against, and CA certificates for TLS.\n${apt('libssl3 ca-certificates')}` : '',
      binary: binary.value,
      user_reason: 'An unprivileged uid (distroless "nonroot"; numeric, so it needs no /etc/passwd entry and Kubernetes runAsNonRoot can verify it).',
      expose: start.expose,
      start_reason: start.startComment,
      cmd: execForm(start.argv ?? [`/app/${binary.value}`]),
    },
    decisions,
    warnings,
    baseImage: base.image,
    copiedFirst: facts.cachedDependencies ? facts.manifests.map((manifest) => joinPath(facts.root, manifest)) : [],
  };
}
