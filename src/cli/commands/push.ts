/**
 * `pack push [NAME[:TAG]…] [--repository REPO [--from IMAGE] [--version V] …]`: pushes the named
 * tags, or the project's tag set under REPO, through the engine. Reads what the process provides
 * (env, home, stdin for --password-stdin, TTY) and hands values to src/registry. Results go to
 * stdout: one line per tag, `NAME:TAG REPOSITORY@sha256:…`, or the JSON result object.
 *
 * Also the publishing half of `pack build --push` (publishFlags, createCredentials, writePushed).
 */
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageTag } from '../../build/build-options.js';
import type { Engine, PushEngine } from '../../engine/engine.js';
import type { RegistryAuthResolver } from '../../engine/registry-config.js';
import { PackError, UsageError } from '../../errors.js';
import { parseImageReference } from '../../plan/image-reference.js';
import type { Emit } from '../../progress/events.js';
import { createHelperRunner } from '../../registry/credential-helper.js';
import { createCredentialResolver, type CredentialResolver } from '../../registry/credentials.js';
import { dockerConfigDir, readDockerConfig } from '../../registry/docker-config.js';
import { PushFailedError, pushTags, type PushResult, type PushTarget } from '../../registry/push.js';
import { repositoryOf } from '../../registry/repository-name.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../registry/retry.js';
import { parseTagOptions, readProjectTags, type TagFlags, type TagOptions } from '../../tags/project-tags.js';
import { stripVPrefix } from '../../tags/version.js';
import { connectEngine } from '../engine-connection.js';
import type { CliIO } from '../io.js';
import { commandReporter } from '../reporter.js';

/** Flags shared by `pack push` and `pack build --push`. */
export interface PublishFlags {
  readonly username?: string;
  readonly passwordStdin?: boolean;
  readonly retries?: string;
}

export interface PublishOptions {
  readonly username?: string;
  readonly passwordStdin: boolean;
  readonly retry: RetryPolicy;
}

export interface PushFlags extends TagFlags, PublishFlags {
  readonly from?: string;
  readonly dir?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly host?: string;
  readonly context?: string;
}

const MAX_RETRIES = 10;

export function parsePublishFlags(flags: PublishFlags): PublishOptions {
  if (flags.passwordStdin === true && (flags.username === undefined || flags.username === '')) {
    throw new UsageError('BAD_CREDENTIAL_FLAGS', '--password-stdin needs --username', { hint: 'e.g. echo "$TOKEN" | pack push --username me --password-stdin …' });
  }
  if (flags.username !== undefined && flags.passwordStdin !== true) {
    throw new UsageError('BAD_CREDENTIAL_FLAGS', '--username needs --password-stdin (pack never takes a password as an argument, where ps and shell history would see it)', {
      hint: 'e.g. echo "$TOKEN" | pack push --username me --password-stdin …',
    });
  }
  let attempts = DEFAULT_RETRY_POLICY.attempts;
  if (flags.retries !== undefined) {
    if (!/^\d+$/.test(flags.retries) || Number(flags.retries) > MAX_RETRIES) {
      throw new UsageError('BAD_RETRIES', `--retries ${JSON.stringify(flags.retries)}: expected a whole number from 0 to ${MAX_RETRIES}`);
    }
    attempts = Number(flags.retries) + 1;
  }
  return {
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    passwordStdin: flags.passwordStdin === true,
    retry: { ...DEFAULT_RETRY_POLICY, attempts },
  };
}

/** NAME[:TAG] arguments → targets (a missing tag means `latest`, as `docker push NAME` does). */
export function parsePushReferences(references: readonly string[]): PushTarget[] {
  return references.map((text) => {
    const reference = parseImageReference(text, `push ${JSON.stringify(text)}`);
    if (reference.digest !== undefined) {
      throw new UsageError('BAD_PUSH_REFERENCE', `push ${JSON.stringify(text)}: a digest cannot be pushed, only a tag`, { hint: 'give NAME:TAG' });
    }
    return { name: repositoryOf(reference), tag: reference.tag ?? 'latest' };
  });
}

/**
 * The credential resolver for this command: config.json from $DOCKER_CONFIG or ~/.docker (a broken
 * one is ignored with a warning, as the docker CLI does), helpers found on $PATH, and the
 * --password-stdin override. The password is read here and goes nowhere but the resolver.
 */
export async function createCredentials(options: PublishOptions, io: CliIO, emit: Emit, pushDomains: readonly string[] = []): Promise<CredentialResolver> {
  const { config, warning } = await readDockerConfig(dockerConfigDir(io.env, io.homeDir));
  if (warning !== undefined) emit({ type: 'warning', code: 'registry.config-ignored', message: warning });
  let override: { username: string; password: string; domains: readonly string[] } | undefined;
  if (options.passwordStdin && options.username !== undefined) {
    // docker login is per registry, and so is this password.
    if (new Set(pushDomains).size > 1) {
      throw new UsageError('BAD_CREDENTIAL_FLAGS', `--username: the tags go to several registries (${[...new Set(pushDomains)].join(', ')}); one password cannot be meant for all of them`, {
        hint: 'push to one registry per command, or store credentials with docker login',
      });
    }
    const password = await readPassword(io.stdin);
    if (password === '') throw new UsageError('EMPTY_PASSWORD', '--password-stdin: stdin was empty', { hint: 'pipe the password or token in: echo "$TOKEN" | pack push --username me --password-stdin …' });
    override = { username: options.username, password, domains: pushDomains };
  }
  return createCredentialResolver({
    config,
    runHelper: createHelperRunner({
      env: io.env,
      describe: (helper) =>
        helper === config.credsStore ? `credsStore in ${config.path}` : `credHelpers in ${config.path}`,
    }),
    ...(io.env['DOCKER_AUTH_CONFIG'] !== undefined ? { envAuthConfig: io.env['DOCKER_AUTH_CONFIG'] } : {}),
    ...(override !== undefined ? { override } : {}),
  });
}

/** All of stdin, with one trailing newline (and CR) removed, as `docker login --password-stdin` does. */
async function readPassword(stdin: Readable | undefined): Promise<string> {
  if (stdin === undefined) throw new UsageError('NO_STDIN', '--password-stdin: no standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\n$/, '').replace(/\r$/, '');
}

/** One line per tag on stdout: `NAME:TAG NAME@sha256:…`. */
export function formatPushed(result: PushResult): string {
  return result.pushed.map((tag) => `${tag.reference} ${tag.pinned}\n`).join('');
}

export async function pushCommand(references: readonly string[], flags: PushFlags, io: CliIO): Promise<void> {
  // Everything validated before any file, engine or registry is touched.
  const explicit = parsePushReferences(references);
  const tagOptions = parseTagOptions(flags);
  const publish = parsePublishFlags(flags);
  if (tagOptions.repository === undefined) {
    const orphan = flags.from !== undefined ? '--from' : flags.version !== undefined ? '--version' : flags.tagScheme !== undefined ? '--tag-scheme' : flags.latest === false ? '--no-latest' : undefined;
    if (orphan !== undefined) throw new UsageError('PUSH_NEEDS_REPOSITORY', `${orphan} needs --repository (it applies to the project's tag set)`, { hint: 'e.g. pack push --repository registry.example.com/team/app' });
    if (explicit.length === 0) throw new UsageError('PUSH_NOTHING', 'nothing to push: name NAME[:TAG], or give --repository REPO to push the project\'s tag set');
  }
  const from = flags.from !== undefined ? parseImageReference(flags.from, `--from ${JSON.stringify(flags.from)}`) : undefined;
  const json = flags.json === true;

  const reporter = commandReporter(io, { json, quiet: flags.quiet === true });
  try {
    const targets = [...explicit];
    const set: PushTarget[] = [];
    if (tagOptions.repository !== undefined) {
      const repository = tagOptions.repository;
      const project = await readProjectTags(resolve(io.cwd, flags.dir ?? '.'), tagOptions, io.signal);
      for (const warning of project.set.warnings) reporter.emit({ type: 'warning', code: warning.code, message: warning.message });
      if (project.set.tags.length === 0) {
        throw new UsageError('PUSH_NO_TAGS', `the tag set for ${repository.familiar} is empty (scheme ${project.scheme.name}: ${project.set.skipped.map((s) => `${s.kind}: ${s.reason}`).join('; ')})`, {
          hint: 'see `pack tags --repository …`; --version V or --tag-scheme change it',
        });
      }
      set.push(...project.set.tags.map((tag) => ({ name: repository, tag: tag.tag })));
      targets.push(...set);
    }
    const credentials = await createCredentials(publish, io, reporter.emit, targets.map((target) => target.name.domain));
    const engine = await connectEngine(flags, io);
    // Unreachable engine → exit 3 before anything is tagged or pushed.
    await engine.info(io.signal);
    if (from !== undefined) await applyFrom(engine, from.text, set, io.signal);
    const result = await pushTags({ targets, credentials, retry: publish.retry }, { engine, emit: reporter.emit, signal: io.signal });
    reporter.close();
    if (json) io.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else io.stdout.write(formatPushed(result));
  } catch (error) {
    // PushFailedError has emitted its own push.failed event, with the lists.
    if (json && !(error instanceof PushFailedError)) {
      const packError = error instanceof PackError ? error : undefined;
      reporter.emit({ type: 'push.failed', code: packError?.code ?? 'INTERNAL', message: error instanceof Error ? error.message : String(error), pushed: [], failed: [], notPushed: [] });
    }
    reporter.close();
    throw error;
  }
}

/** `--from IMAGE`: point every tag of the set at IMAGE before pushing (docker tag IMAGE REPO:TAG). */
async function applyFrom(engine: Engine & PushEngine, from: string, targets: readonly PushTarget[], signal: AbortSignal): Promise<void> {
  const image = await engine.inspectImage(from, signal);
  if (image === undefined) {
    throw new UsageError('PUSH_NO_LOCAL_IMAGE', `--from ${from}: no such image on ${engine.endpoint.url}`, { hint: 'build it first, e.g. pack build -t ' + from });
  }
  for (const target of targets) await engine.tagImage(image.id, target.name.familiar, target.tag, signal);
}

/** What `pack build` needs to publish: its tag-set and push flags, validated before anything runs. */
export interface BuildPublishing {
  readonly push: boolean;
  readonly tagOptions: TagOptions;
  readonly publish: PublishOptions;
}

export function parseBuildPublishing(flags: TagFlags & PublishFlags & { readonly push?: boolean }, explicitTags: readonly ImageTag[]): BuildPublishing {
  const tagOptions = parseTagOptions(flags);
  const publish = parsePublishFlags(flags);
  const push = flags.push === true;
  if (tagOptions.repository === undefined) {
    const orphan = flags.tagScheme !== undefined ? '--tag-scheme' : flags.latest === false ? '--no-latest' : undefined;
    if (orphan !== undefined) throw new UsageError('BUILD_NEEDS_REPOSITORY', `${orphan} needs --repository (it shapes the tag set applied there)`, { hint: 'e.g. pack build --repository registry.example.com/team/app' });
    if (push && explicitTags.length === 0) throw new UsageError('BUILD_PUSH_NOTHING', '--push: nothing to push', { hint: 'name the image with -t NAME:TAG, or give --repository REPO for the project\'s tag set' });
  }
  if (!push) {
    const orphan = flags.username !== undefined ? '--username' : flags.passwordStdin === true ? '--password-stdin' : flags.retries !== undefined ? '--retries' : undefined;
    if (orphan !== undefined) throw new UsageError('BUILD_NEEDS_PUSH', `${orphan} only applies with --push`);
  }
  return { push, tagOptions, publish };
}

/** The project's tag set under --repository as build tags, and the version for the OCI label. */
export async function buildTagSet(publishing: BuildPublishing, contextDir: string, emit: Emit, signal: AbortSignal): Promise<{ tags: ImageTag[]; version?: string }> {
  const { repository } = publishing.tagOptions;
  if (repository === undefined) {
    const version = publishing.tagOptions.version;
    return { tags: [], ...(version !== undefined ? { version: stripVPrefix(version.trim()) } : {}) };
  }
  const project = await readProjectTags(contextDir, publishing.tagOptions, signal);
  for (const warning of project.set.warnings) emit({ type: 'warning', code: warning.code, message: warning.message });
  const version = project.version.version;
  // A dirty tree's image is not the release: its label says so too.
  const label = version === undefined ? undefined : project.git?.dirty === true ? `${version.value}-dirty` : version.value;
  return { tags: project.set.tags.map((tag) => ({ repository: repository.familiar, tag: tag.tag })), ...(label !== undefined ? { version: label } : {}) };
}

/** The credential resolver of a build: base-image pulls (X-Registry-Config) and, with --push, the push. */
export async function buildCredentials(publishing: BuildPublishing, tags: readonly ImageTag[], io: CliIO, emit: Emit): Promise<{ resolver: CredentialResolver; registryAuth: RegistryAuthResolver }> {
  const domains = publishing.push ? tags.map((tag) => repositoryOf({ name: tag.repository }).domain) : [];
  const resolver = await createCredentials(publishing.publish, io, emit, domains);
  return { resolver, registryAuth: lenientRegistryAuth(resolver, emit) };
}

/**
 * Credentials for the base images a build pulls (the X-Registry-Config seam of runBuild), for any
 * command that builds (`pack archive` too): config.json and helpers as the docker CLI finds them.
 */
export async function baseImageCredentials(io: CliIO, emit: Emit): Promise<RegistryAuthResolver> {
  return lenientRegistryAuth(await createCredentials({ passwordStdin: false, retry: DEFAULT_RETRY_POLICY }, io, emit), emit);
}

/**
 * A base image from a public registry must not fail the build because a helper is broken: the pull
 * is tried anonymously, and the warning names the helper.
 */
function lenientRegistryAuth(resolver: CredentialResolver, emit: Emit): RegistryAuthResolver {
  return async (registries, signal) => {
    try {
      return await resolver.registryAuth(registries, signal);
    } catch (error) {
      if (signal?.aborted === true) throw error;
      emit({ type: 'warning', code: 'registry.credentials-unavailable', message: `base images are pulled without credentials: ${error instanceof Error ? error.message : String(error)}` });
      return {};
    }
  };
}

/** `--push`: every tag the build applied, one push call each, digests confirmed. */
export async function pushBuiltTags(
  publishing: BuildPublishing,
  tags: readonly ImageTag[],
  credentials: CredentialResolver,
  engine: PushEngine,
  emit: Emit,
  signal: AbortSignal,
): Promise<PushResult | undefined> {
  if (!publishing.push) return undefined;
  const targets = tags.map((tag) => ({ name: repositoryOf({ name: tag.repository }), tag: tag.tag }));
  return pushTags({ targets, credentials, retry: publishing.publish.retry }, { engine, emit, signal });
}
