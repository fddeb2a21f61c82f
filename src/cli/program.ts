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
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`pack: ${s.replace(/^error: /, '')}`),
    });

  // Commands are declared below, one block each.

  return program;
}
