/**
 * Repository names as Docker normalises them (distribution/reference splitDockerDomain), the
 * config key and login command for each registry, and push references.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parsePushReferences } from '../../src/cli/commands/push.js';
import { authKeyFor, loginCommandFor, parseRepositoryName, repositoryOf, splitDockerDomain } from '../../src/registry/repository-name.js';

describe('splitDockerDomain / repositoryOf', () => {
  it.each([
    ['name', 'docker.io', 'library/name'],
    ['me/app', 'docker.io', 'me/app'],
    ['me/team/app', 'docker.io', 'me/team/app'],
    ['docker.io/name', 'docker.io', 'library/name'],
    ['index.docker.io/me/app', 'docker.io', 'me/app'],
    ['index.docker.io/name', 'docker.io', 'library/name'],
    ['localhost/app', 'localhost', 'app'],
    ['localhost:5000/app', 'localhost:5000', 'app'],
    ['127.0.0.1:5000/ns/app', '127.0.0.1:5000', 'ns/app'],
    ['registry.example.com/app', 'registry.example.com', 'app'],
    ['[::1]:5000/app', '[::1]:5000', 'app'],
    // An uppercase first component is a host (it could not be a repository path component).
    ['Registry/app', 'Registry', 'app'],
  ])('%s → %s / %s', (name, domain, path) => {
    expect(splitDockerDomain(name)).toEqual({ domain, remainder: path });
    expect(repositoryOf({ name })).toEqual({ familiar: name, domain, path, canonical: `${domain}/${path}` });
  });

  it('keys credentials and login commands by registry, Docker Hub by its v1 URL', () => {
    expect(authKeyFor('docker.io')).toBe('https://index.docker.io/v1/');
    expect(authKeyFor('127.0.0.1:5001')).toBe('127.0.0.1:5001');
    expect(loginCommandFor('docker.io')).toBe('docker login');
    expect(loginCommandFor('ghcr.io')).toBe('docker login ghcr.io');
  });
});

describe('parseRepositoryName (--repository)', () => {
  it('accepts a repository without tag', () => {
    expect(parseRepositoryName('ghcr.io/me/app', '--repository')).toMatchObject({ domain: 'ghcr.io', path: 'me/app' });
  });
  it('refuses a tag, a digest, or an invalid name, naming the flag', () => {
    expect(() => parseRepositoryName('app:1.0', '--repository "app:1.0"')).toThrow('--repository "app:1.0": "app:1.0" names a tag or digest');
    expect(() => parseRepositoryName(`app@sha256:${'a'.repeat(64)}`, '--repository')).toThrow(UsageError);
    expect(() => parseRepositoryName('App', '--repository')).toThrow(UsageError);
  });
});

describe('parsePushReferences', () => {
  it('NAME alone means NAME:latest, as docker push NAME', () => {
    const [target] = parsePushReferences(['127.0.0.1:5000/app']);
    expect(target).toMatchObject({ tag: 'latest', name: { familiar: '127.0.0.1:5000/app', domain: '127.0.0.1:5000' } });
  });
  it('refuses digests and bad references with a usage error naming the argument', () => {
    expect(() => parsePushReferences([`app@sha256:${'b'.repeat(64)}`])).toThrow('push "app@sha256');
    expect(() => parsePushReferences(['Bad:Tag'])).toThrow(UsageError);
  });
});
