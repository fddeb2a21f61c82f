/**
 * "Validate before sending": a Dockerfile the engine would reject (unknown instruction, missing
 * FROM, malformed flags) is reported as FILE:LINE and nothing is uploaded.
 *
 * This is the smallest adapter over dockerfile-utils (severity Error only; its warnings, such as
 * deprecated MAINTAINER, do not stop a build that Docker would run). The shared validation helper
 * of src/dockerfile replaces it when it lands.
 */
import { validate } from 'dockerfile-utils';
import { UsageError } from '../errors.js';

const ERROR = 1;

export function validateDockerfile(content: string, displayName: string): void {
  const errors = validate(content).filter((diagnostic) => diagnostic.severity === ERROR);
  const first = errors.sort((a, b) => a.range.start.line - b.range.start.line)[0];
  if (first === undefined) return;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new UsageError('DOCKERFILE_INVALID', `${displayName}:${first.range.start.line + 1}: ${first.message}${more}`, {
    hint: 'fix the Dockerfile; nothing was sent to the engine',
  });
}
