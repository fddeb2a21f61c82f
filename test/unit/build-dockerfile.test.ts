import { describe, expect, it } from 'vitest';
import { checkTarget, readDockerfileFacts } from '../../src/build/dockerfile-facts.js';
import { registryOf } from '../../src/build/run-build.js';

const multiStage = [
  '# syntax is a comment here',
  'ARG BASE=busybox:local',
  'FROM ${BASE} AS build',
  'RUN echo one \\',
  '    && echo two',
  '',
  'FROM build AS test',
  'RUN true',
  'FROM scratch',
  'COPY --from=build /bin/busybox /busybox',
].join('\n');

describe('readDockerfileFacts', () => {
  it('lists instructions in the order the classic builder numbers its steps, with their lines', () => {
    const facts = readDockerfileFacts(multiStage, {});
    expect(facts.instructions).toEqual([
      { keyword: 'ARG', line: 2 },
      { keyword: 'FROM', line: 3 },
      { keyword: 'RUN', line: 4 },
      { keyword: 'FROM', line: 7 },
      { keyword: 'RUN', line: 8 },
      { keyword: 'FROM', line: 9 },
      { keyword: 'COPY', line: 10 },
    ]);
  });

  it('knows the stages, expands meta ARGs in FROM (build args win) and tells stages from images', () => {
    expect(readDockerfileFacts(multiStage, { BASE: 'other:2' }).stages).toEqual([
      { name: 'build', from: 'other:2', fromStage: false, line: 3, instructionIndex: 1 },
      { name: 'test', from: 'build', fromStage: true, line: 7, instructionIndex: 3 },
      { from: 'scratch', fromStage: true, line: 9, instructionIndex: 5 },
    ]);
    expect(readDockerfileFacts(multiStage, {}).stages[0]?.from).toBe('busybox:local');
  });

  it('checks --target against the stages', () => {
    const facts = readDockerfileFacts(multiStage, {});
    expect(() => checkTarget(facts, 'TEST', 'Dockerfile')).not.toThrow();
    expect(() => checkTarget(facts, 'release', 'Dockerfile')).toThrow('--target "release": Dockerfile has no stage named so');
  });
});

describe('registryOf', () => {
  it('finds the registry host of a FROM image as docker does', () => {
    expect(registryOf('busybox:local')).toBe('docker.io');
    expect(registryOf('team/app:1')).toBe('docker.io');
    expect(registryOf('registry.example.com/team/app:1')).toBe('registry.example.com');
    expect(registryOf('localhost:5000/app')).toBe('localhost:5000');
    expect(registryOf('localhost/app')).toBe('localhost');
    // docker/distribution: a first component with uppercase letters cannot be a Hub namespace, so it is a host.
    expect(registryOf('Team/app')).toBe('Team');
  });
});
