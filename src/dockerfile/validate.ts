/**
 * Checking a Dockerfile before anything is sent: dockerfile-utils' validator (the parser behind the
 * VS Code Docker extension: unknown instructions, bad flags, JSON-form mistakes, relative WORKDIR,
 * duplicate stage names ...) plus one check of pack's own: features that need BuildKit. The engines
 * pack targets include the classic builder (API 1.41 without BuildKit), which rejects `RUN --mount`
 * and `COPY --chmod`/`--link` and treats heredocs as plain text; a generated Dockerfile must build on
 * both, and a project's own file gets a clear warning instead of a confusing engine error.
 */
import { validate } from 'dockerfile-utils';

type Diagnostic = ReturnType<typeof validate>[number];
import { UsageError } from '../errors.js';
import { dockerfileInstructions } from './instructions.js';

export interface DockerfileProblem {
  /** 1-based line of the instruction. */
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** `dockerfile-utils:<code>` or `pack:buildkit-only`. */
  readonly code: string;
}

/** Flags that only BuildKit understands, per instruction. */
const BUILDKIT_FLAGS: Readonly<Record<string, readonly string[]>> = {
  RUN: ['mount', 'network', 'security'],
  COPY: ['chmod', 'link', 'parents', 'exclude'],
  ADD: ['chmod', 'link', 'keep-git-dir', 'checksum', 'exclude'],
};

function buildkitOnly(text: string): DockerfileProblem[] {
  const problems: DockerfileProblem[] = [];
  const first = text.split(/\r?\n/)[0] ?? '';
  if (/^#\s*syntax\s*=/i.test(first)) {
    problems.push({
      line: 1,
      severity: 'warning',
      code: 'pack:buildkit-only',
      message: 'the "# syntax=" directive is ignored by the classic builder',
    });
  }
  for (const instruction of dockerfileInstructions(text)) {
    const flags = BUILDKIT_FLAGS[instruction.keyword];
    const words = instruction.text.split(/\s+/).slice(1);
    if (flags) {
      for (const word of words) {
        if (!word.startsWith('--')) break;
        const flag = /^--([a-z-]+)/.exec(word)?.[1];
        if (flag && flags.includes(flag)) {
          problems.push({
            line: instruction.line,
            severity: 'error',
            code: 'pack:buildkit-only',
            message: `${instruction.keyword} --${flag} needs BuildKit; the classic builder rejects it`,
          });
        }
      }
    }
    if ((instruction.keyword === 'RUN' || instruction.keyword === 'COPY') && /<<-?["']?[A-Za-z_]/.test(instruction.text)) {
      problems.push({
        line: instruction.line,
        severity: 'error',
        code: 'pack:buildkit-only',
        message: `${instruction.keyword} with a heredoc needs BuildKit; the classic builder runs it as plain text`,
      });
    }
  }
  return problems;
}

function fromDiagnostic(diagnostic: Diagnostic): DockerfileProblem {
  return {
    line: diagnostic.range.start.line + 1,
    severity: diagnostic.severity === 1 ? 'error' : 'warning',
    message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
    code: `dockerfile-utils:${String(diagnostic.code ?? 'unknown')}`,
  };
}

/** Every problem found, sorted by line (errors before warnings on the same line). */
export function lintDockerfile(text: string): DockerfileProblem[] {
  return [...validate(text).map(fromDiagnostic), ...buildkitOnly(text)].sort(
    (a, b) => a.line - b.line || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || a.message.localeCompare(b.message),
  );
}

/** Throws a usage error naming `path:line` for the first error; returns the warnings. */
export function assertValidDockerfile(text: string, path: string): DockerfileProblem[] {
  const problems = lintDockerfile(text);
  const error = problems.find((problem) => problem.severity === 'error');
  if (error) {
    throw new UsageError('BAD_DOCKERFILE', `${path}:${error.line}: ${error.message}`, {
      hint: problems.filter((p) => p.severity === 'error').length > 1 ? `and ${problems.filter((p) => p.severity === 'error').length - 1} more error(s); fix the Dockerfile` : 'fix the Dockerfile',
    });
  }
  return problems;
}
