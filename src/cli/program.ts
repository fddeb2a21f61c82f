/**
 * Declarations only: each command's arguments and flags, and a lazy call into its implementation
 * under commands/ (lazy so that `pack --help` does not load dockerode).
 */
import { Command } from 'commander';
import type { CliIO } from './io.js';
import { ExitCode } from '../errors.js';
import { PACK_VERSION } from '../version.js';

const EXIT_CODES_HELP = `
Exit codes:
  ${ExitCode.ok}    success
  ${ExitCode.failed}    the operation failed (build step, push, verification, unreadable file)
  ${ExitCode.usage}    bad usage or configuration (flag, path, .dockerignore pattern, Dockerfile)
  ${ExitCode.environment}    environment problem (Docker engine unreachable, no permission on its socket)
  ${ExitCode.interrupted}  interrupted (Ctrl-C)
`;

export function buildProgram(io: CliIO): Command {
  const program = new Command('pack')
    .description('Turn a project folder into a container image you can hand off, archive and publish.')
    .version(PACK_VERSION, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError()
    // Program options only before the command name, so that `pack build --version 1.4.2` reaches
    // build instead of printing pack's own version; --debug is declared on every command below.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`pack: ${s.replace(/^error: /, '')}`),
    });

  // Commands are declared below, one block each.

  const contextFlags = (command: Command): Command =>
    command
      .option('-f, --file <path>', 'Dockerfile to use (default: DIR/Dockerfile); may lie outside the context')
      .option('--dockerignore-mode <mode>', 'buildkit (as docker build today) or legacy (as DOCKER_BUILDKIT=0)')
      .option('--source-date-epoch <seconds>', 'clamp file times to this (default: $SOURCE_DATE_EPOCH) for byte-identical tars');

  contextFlags(
    program
      .command('context')
      .description('write the exact build context a build would send, as a tar (or list its members)')
      .argument('[dir]', 'the project folder (build context)', '.'),
  )
    .option('-o, --output <file>', 'write the tar to FILE (written under a temporary name, renamed when complete); - for stdout')
    .option('--list', 'print the paths that would be sent, one per line')
    .option('--gzip', 'gzip the tar')
    .option('--json', 'machine-readable output: NDJSON events and a result object (with --list: one entry per line)')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { runContext } = await import('./commands/context.js');
      await runContext(dir, flags, io);
    });

  engineFlags(tagFlags(projectFlags(
    contextFlags(
      program
        .command('plan')
        .description('show what a build would do: the context it would send, what .dockerignore excludes, and warnings')
        .argument('[dir]', 'the project folder (build context)', '.'),
    ),
  )))
    .option('--why <path...>', 'explain which .dockerignore line decides PATH (relative to the context)')
    .option('--json', 'one JSON document on stdout')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { runPlan } = await import('./commands/plan.js');
      await runPlan(dir, flags, io);
    });

  buildFlags(
    program
      .command('build')
      .description('build an image from a project folder through the Docker engine (tags, progress, skip when unchanged)')
      .argument('[dir]', 'the project folder (build context)', '.'),
  )
    .option('-q, --quiet', 'print only the image ID')
    .option('--json', 'one JSON object per event and a final result object on stdout')
    .option('--repository <registry/ns/name>', "also tag the image with the project's tag set under this repository (see `pack tags`)")
    .option('--version <version>', 'the version for the tag set and the OCI version label (default: git tag on HEAD, package.json, pyproject.toml)')
    .option('--tag-scheme <scheme>', 'semver (default), exact, sha, or a list of version,minor,major,latest,sha')
    .option('--no-latest', 'leave latest out of the tag set')
    .option('--push', 'push every tag (-t and the tag set) after the build, and print their digests')
    .option('--username <name>', 'with --push: the registry user, with the password or token on stdin (--password-stdin)')
    .option('--password-stdin', 'with --push: read the password or token from stdin (never stored)')
    .option('--retries <n>', 'with --push: retries of a tag after a transient registry failure (default 3)')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { buildCommand } = await import('./commands/build.js');
      // commander turns --no-cache into cache=false.
      await buildCommand(dir, { ...flags, noCache: flags['cache'] === false }, io);
    });

  engineFlags(tagFlags(
    program
      .command('push')
      .description("push images through the engine: each NAME[:TAG], or the project's tag set under --repository; prints each tag's digest")
      .argument('[references...]', 'NAME[:TAG] to push (TAG defaults to latest)'),
  ))
    .option('--from <image>', 'with --repository: tag this local image with the tag set first')
    .option('--dir <path>', 'with --repository: the project folder the version is read from', '.')
    .option('--username <name>', 'the registry user; the password or token comes from stdin (--password-stdin)')
    .option('--password-stdin', 'read the password or token from stdin (used for this push only, never stored)')
    .option('--retries <n>', 'retries of a tag after a transient registry failure, with backoff (default 3)')
    .option('--json', 'one JSON object per event and a final result object on stdout')
    .option('-q, --quiet', 'no progress output')
    .action(async (references: string[], flags: Record<string, unknown>) => {
      const { pushCommand } = await import('./commands/push.js');
      await pushCommand(references, flags, io);
    });

  tagFlags(
    program
      .command('tags')
      .description('show the tags a build or push would apply, with the version they come from and a reason for each')
      .argument('[dir]', 'the project folder', '.'),
  )
    .option('--json', 'one JSON document on stdout')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { tagsCommand } = await import('./commands/tags.js');
      await tagsCommand(dir, flags, io);
    });

  buildFlags(
    program
      .command('archive')
      .description('build (or take --image) and write one verifiable file that `docker load -i` accepts: the image, its exact build context, Dockerfile, README and manifest')
      .argument('[dir]', 'the project folder (build context)', '.'),
  )
    .option('-o, --output <file>', 'the archive to write: NAME.tar, or NAME.tar.gz / .tgz for gzip (it appears only when complete)')
    .option('--image <ref>', 'archive this image instead of building it (DIR still provides the context and Dockerfile)')
    .option('--gzip', 'gzip-compress the archive (implied by a .gz or .tgz name)')
    .option('-q, --quiet', 'print only the archive path')
    .option('--json', 'one JSON object per event and a final result object on stdout')
    .addHelpText('after', '\nSOURCE_DATE_EPOCH defaults to the git commit time here, so archiving the same commit packs a byte-identical context.\n')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { archiveCommand } = await import('./commands/archive.js');
      await archiveCommand(dir, { ...flags, noCache: flags['cache'] === false }, io);
    });

  program
    .command('verify')
    .description("check an archive written by pack archive: every checksum, the image's consistency, member paths (exit 0 only when all hold)")
    .argument('<archive>', 'the archive file (.tar or .tar.gz)')
    .option('--json', 'one JSON result object on stdout')
    .option('-q, --quiet', 'print the report only when something is wrong')
    .action(async (archive: string, flags: Record<string, unknown>) => {
      const { verifyCommand } = await import('./commands/verify.js');
      await verifyCommand(archive, flags, io);
    });

  engineFlags(
    program
      .command('restore')
      .description('verify an archive, then load its image (same image ID, tags re-applied), or rebuild it from its source, or extract the source')
      .argument('<archive>', 'the archive file (.tar or .tar.gz)'),
  )
    .option('--rebuild', 'rebuild from the archived context and Dockerfile and report which layers come out identical')
    .option('--extract <dir>', 'unpack the archived build context (with its Dockerfile) into DIR, never writing outside it')
    .option('-t, --tag <name:tag>', 'also tag the loaded or rebuilt image (repeatable)', collect, [])
    .option('--no-cache', 'with --rebuild: do not use the engine build cache')
    .option('--json', 'one JSON object per event and a final result object on stdout')
    .option('-q, --quiet', 'print only the result')
    .action(async (archive: string, flags: Record<string, unknown>) => {
      const { restoreCommand } = await import('./commands/restore.js');
      await restoreCommand(archive, { ...flags, noCache: flags['cache'] === false }, io);
    });

  projectFlags(
    program
      .command('init')
      .description('detect the project and write a cache-friendly Dockerfile and .dockerignore (never overwrites without --force)')
      .argument('[dir]', 'the project folder', '.'),
  )
    .option('--force', 'replace an existing Dockerfile / .dockerignore (the diff is printed either way)')
    .option('--json', 'one JSON document on stdout: what was detected and what was written')
    .action(async (dir: string, flags: Record<string, unknown>) => {
      const { runInit } = await import('./commands/init.js');
      await runInit(dir, flags, io);
    });

  for (const command of program.commands) command.option('--debug', 'print stack traces for errors');
  return program;
}

/**
 * What decides a build: `pack build` and `pack archive` (which builds the same way) both take
 * these, with the generated Dockerfile's overrides.
 */
function buildFlags(command: Command): Command {
  return engineFlags(projectFlags(command))
    .option('-t, --tag <name:tag>', 'name and tag the image (repeatable)', collect, [])
    .option('-f, --file <path>', 'the Dockerfile to use (may lie outside the project)')
    .option('--build-arg <name=value>', 'set a build argument; NAME alone takes $NAME (repeatable)', collect, [])
    .option('--label <key=value>', 'add a label to the image (repeatable)', collect, [])
    .option('--target <stage>', 'build up to this stage of a multi-stage Dockerfile')
    .option('--platform <os/arch>', 'the platform to build for, e.g. linux/amd64')
    .option('--network <mode>', 'network for RUN steps: default, none or host')
    .option('--no-cache', 'do not use the engine build cache (and do not skip an unchanged build)')
    .option('--pull', 'always pull newer base images')
    .option('--force', 'build even when an identical build already produced an image')
    .option('--source-date-epoch <seconds>', 'clamp context mtimes and set the created label (default: $SOURCE_DATE_EPOCH)')
    .option('--dockerignore-mode <mode>', '.dockerignore semantics: buildkit (default) or legacy');
}

/**
 * Overrides for the generated Dockerfile (`pack init`, `pack plan`). Precedence for each: this flag >
 * pack.json (or package.json "pack") > detection.
 */
function projectFlags(command: Command): Command {
  return command
    .option('--app <path>', 'the app to build inside a monorepo (a directory relative to DIR)')
    .option('--ecosystem <name>', 'node, python, go, rust, java, ruby, static or generic, when several are present')
    .option('--base <image>', 'base image of the final stage, e.g. node:22-bookworm-slim')
    .option('--cmd <command>', 'start command (a command line, or a JSON array for exec form)')
    .option('--port <n>', 'port the app listens on')
    .option('--python <version>', 'Python version, e.g. 3.12')
    .option('--node <version>', 'Node.js version, e.g. 22');
}

/** The tag set's inputs (`pack tags`, `pack push`). */
function tagFlags(command: Command): Command {
  return command
    .option('--repository <registry/ns/name>', 'where the tags go, e.g. ghcr.io/me/app (Docker Hub: me/app)')
    .option('--version <version>', 'the version (default: git tag on HEAD, else package.json, else pyproject.toml)')
    .option('--tag-scheme <scheme>', 'semver (default: version, minor, major, latest, sha), exact, sha, or a list of version,minor,major,latest,sha')
    .option('--no-latest', 'leave latest out');
}

/** Repeatable options collect into an array. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Where the engine is: --host, then DOCKER_HOST, then the docker context (as the docker CLI). */
function engineFlags(command: Command): Command {
  return command
    .option('-H, --host <address>', 'the engine to use, e.g. unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host')
    .option('--context <name>', 'the docker context to use (see `docker context ls`)');
}
