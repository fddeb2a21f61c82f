import { describe, expect, it } from 'vitest';
import { dockerfileInstructions, stageImages } from '../../src/dockerfile/instructions.js';
import { assertValidDockerfile, lintDockerfile } from '../../src/dockerfile/validate.js';
import { UsageError } from '../../src/errors.js';

describe('lintDockerfile', () => {
  it('accepts a clean Dockerfile', () => {
    expect(lintDockerfile('FROM node:22-bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "x.js"]\n')).toEqual([]);
  });

  it('reports dockerfile-utils errors with their line', () => {
    const problems = lintDockerfile('FROM x\nWORKDIR app\nFROMM y\n');
    expect(problems.map((p) => [p.line, p.severity])).toEqual([
      [2, 'warning'],
      [3, 'error'],
    ]);
    expect(problems[1]?.message).toBe('Unknown instruction: FROMM');
    expect(problems[0]?.code).toMatch(/^dockerfile-utils:/);
  });

  it('flags BuildKit-only syntax the classic builder rejects', () => {
    const text = [
      'FROM x',
      'RUN --mount=type=cache,target=/root/.npm npm ci',
      'COPY --chmod=755 a b',
      'COPY --link \\',
      '     c d',
      'RUN <<EOF',
      'echo hi',
      'EOF',
    ].join('\n');
    const buildkit = lintDockerfile(text).filter((p) => p.code === 'pack:buildkit-only');
    expect(buildkit.map((p) => p.line)).toEqual([2, 3, 4, 6]);
    expect(buildkit[0]?.message).toMatch(/RUN --mount needs BuildKit/);
  });

  it('assertValidDockerfile throws a usage error naming file:line', () => {
    expect(() => assertValidDockerfile('FROM x\nRUNN make\n', 'services/api/Dockerfile')).toThrow(UsageError);
    expect(() => assertValidDockerfile('FROM x\nRUNN make\n', 'services/api/Dockerfile')).toThrow(/^services\/api\/Dockerfile:2: Unknown instruction: RUNN$/);
    expect(assertValidDockerfile('FROM x\nCMD ["a"]\nCMD ["b"]\n', 'Dockerfile').map((p) => [p.line, p.severity])).toEqual([[2, 'warning']]);
  });
});

describe('stageImages', () => {
  it('lists pulled images in order, leaving references to earlier stages out', () => {
    const text = 'FROM node:22 AS deps\nFROM deps AS build\nFROM --platform=linux/amd64 gcr.io/distroless/static:nonroot\nCOPY --from=build /a /a\n';
    expect(stageImages(text)).toEqual([
      { image: 'node:22', stage: 'deps', line: 1 },
      { image: 'gcr.io/distroless/static:nonroot', line: 3 },
    ]);
  });
});

describe('dockerfileInstructions', () => {
  it('joins continuations across empty and comment lines, as Docker does, and keeps flags', () => {
    const text = 'FROM a AS b\nRUN echo 1 \\\n\n  && echo 2\n# c\nRUN --mount=type=cache,target=/x \\\n  # inner comment\n  ls\n';
    expect(dockerfileInstructions(text)).toEqual([
      { line: 1, keyword: 'FROM', text: 'FROM a AS b' },
      { line: 2, keyword: 'RUN', text: 'RUN echo 1 && echo 2' },
      { line: 6, keyword: 'RUN', text: 'RUN --mount=type=cache,target=/x ls' },
    ]);
  });

  it('honours the escape directive', () => {
    expect(dockerfileInstructions('# escape=`\nFROM a\nRUN dir `\n  c:\\\n').map((i) => i.text)).toEqual(['FROM a', 'RUN dir c:\\']);
  });
});
