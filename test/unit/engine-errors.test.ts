import { describe, expect, it } from 'vitest';
import { classifyEngineError } from '../../src/engine/engine-errors.js';
import type { EngineEndpoint } from '../../src/engine/endpoint.js';
import { encodeRegistryConfig } from '../../src/engine/registry-config.js';
import { ExitCode } from '../../src/errors.js';

const endpoint: EngineEndpoint = {
  address: { kind: 'unix', socketPath: '/tmp/none.sock' },
  url: 'unix:///tmp/none.sock',
  source: 'DOCKER_HOST',
  contextName: 'default',
  reason: 'DOCKER_HOST=unix:///tmp/none.sock',
};

const errno = (code: string): Error => Object.assign(new Error(`connect ${code} /tmp/none.sock`), { code });

describe('classifyEngineError', () => {
  it('reports an unreachable engine in one line naming where pack tried and how to fix it (exit 3)', () => {
    const error = classifyEngineError(errno('ENOENT'), endpoint, 'build');
    expect(error.exitCode).toBe(ExitCode.environment);
    expect(error.code).toBe('ENGINE_UNREACHABLE');
    expect(error.message).toBe(
      'cannot reach the Docker engine at unix:///tmp/none.sock (DOCKER_HOST=unix:///tmp/none.sock): no socket at that path — start Docker (e.g. sudo systemctl start docker) or point --host / DOCKER_HOST at a running engine',
    );
    expect(error.message).not.toContain('\n');
    expect(classifyEngineError(errno('ECONNREFUSED'), endpoint, 'build').message).toContain('connection refused');
  });

  it('says when ssh itself is missing for an ssh:// engine', () => {
    const ssh: EngineEndpoint = { ...endpoint, address: { kind: 'ssh', host: 'box' }, url: 'ssh://box', reason: 'DOCKER_HOST=ssh://box' };
    expect(classifyEngineError(errno('ENOENT'), ssh, 'build').message).toContain('ssh://box (DOCKER_HOST=ssh://box): the ssh command was not found on PATH');
  });

  it('says what to do about a socket without permission', () => {
    const error = classifyEngineError(errno('EACCES'), endpoint, 'build');
    expect(error.exitCode).toBe(ExitCode.environment);
    expect(error.message).toMatch(/permission denied .* docker group/);
  });

  it('classifies refusals by HTTP status, carrying the engine message', () => {
    const bad = Object.assign(new Error('(HTTP code 400) unexpected'), { statusCode: 400, json: { message: 'failed to reach build target zz in Dockerfile' } });
    expect(classifyEngineError(bad, endpoint, 'build')).toMatchObject({ exitCode: ExitCode.usage, message: 'build: failed to reach build target zz in Dockerfile' });
    const server = Object.assign(new Error('(HTTP code 500)'), { statusCode: 500, json: { message: 'boom' } });
    expect(classifyEngineError(server, endpoint, 'build')).toMatchObject({ exitCode: ExitCode.failed, message: 'build: the engine answered 500: boom' });
  });
});

describe('encodeRegistryConfig', () => {
  it('encodes with the padded base64url alphabet the engine decodes (never + or /)', () => {
    const config = { 'registry.example:5000': { username: 'u?>', password: 'p~~~>>>' } };
    const header = encodeRegistryConfig(config);
    expect(header).not.toMatch(/[+/]/);
    expect(header.length % 4).toBe(0);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(config);
  });
});
