import { describe, expect, it } from 'vitest';
import { parseBuildOptions } from '../../src/build/build-options.js';
import { parseImageReference } from '../../src/build/image-reference.js';
import { ExitCode, UsageError } from '../../src/errors.js';

describe('parseImageReference', () => {
  it('accepts what docker accepts, defaulting the tag to latest', () => {
    expect(parseImageReference('app')).toEqual({ repository: 'app', tag: 'latest' });
    expect(parseImageReference('team/app:1.4.2')).toEqual({ repository: 'team/app', tag: '1.4.2' });
    expect(parseImageReference('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app', tag: 'latest' });
    expect(parseImageReference('Registry.Example.com:5000/a/b__c.d-e:V_1.0-rc')).toEqual({
      repository: 'Registry.Example.com:5000/a/b__c.d-e',
      tag: 'V_1.0-rc',
    });
    expect(parseImageReference('[::1]:5000/app:x')).toEqual({ repository: '[::1]:5000/app', tag: 'x' });
  });

  it.each([
    ['App:1', /repository name must be lowercase/],
    ['app:', /invalid tag ""/],
    ['app:-x', /invalid tag "-x"/],
    [`app:${'x'.repeat(129)}`, /invalid tag/],
    ['a//b', /empty path component/],
    ['app/', /empty path component/],
    ['a..b', /invalid name component "a..b"/],
    ['app@sha256:abc', /digest cannot be used/],
    ['reg:port/app', /invalid registry port "port"/],
    ['', /empty image name/],
  ])('rejects %j naming the flag', (input, message) => {
    expect(() => parseImageReference(input)).toThrow(UsageError);
    expect(() => parseImageReference(input)).toThrow(message);
    expect(() => parseImageReference(input)).toThrow(`-t/--tag "${input}"`);
  });
});

describe('parseBuildOptions', () => {
  it('parses every flag into values', () => {
    const options = parseBuildOptions(
      {
        tag: ['app:1', 'app:latest', 'app:1'],
        buildArg: ['A=1', 'B=x=y', 'FROM_ENV', 'UNSET', 'EMPTY='],
        label: ['team=core', 'flag'],
        target: 'runtime',
        platform: 'linux/arm64/v8',
        network: 'host',
        noCache: true,
        pull: true,
        force: true,
        sourceDateEpoch: '1700000000',
        dockerignoreMode: 'legacy',
      },
      { FROM_ENV: 'from-env' },
    );
    expect(options).toEqual({
      tags: [
        { repository: 'app', tag: '1' },
        { repository: 'app', tag: 'latest' },
      ],
      buildArgs: { A: '1', B: 'x=y', FROM_ENV: 'from-env', EMPTY: '' },
      labels: { team: 'core', flag: '' },
      target: 'runtime',
      platform: 'linux/arm64/v8',
      network: 'host',
      noCache: true,
      pull: true,
      quiet: false,
      json: false,
      force: true,
      sourceDateEpoch: 1700000000,
      dockerignoreMode: 'legacy',
    });
  });

  it('defaults to the default network, the buildkit walker and no tags', () => {
    expect(parseBuildOptions({}, {})).toMatchObject({ tags: [], network: 'default', dockerignoreMode: 'buildkit', force: false });
  });

  it.each([
    [{ tag: ['Bad:1'] }, /-t\/--tag "Bad:1"/],
    [{ buildArg: ['=x'] }, /--build-arg "=x"/],
    [{ buildArg: ['A B=1'] }, /--build-arg "A B=1"/],
    [{ label: ['=x'] }, /--label "=x"/],
    [{ target: '1st' }, /--target "1st"/],
    [{ platform: 'Linux/AMD64' }, /--platform "Linux\/AMD64"/],
    [{ network: 'bridge0' }, /--network "bridge0": must be default, none or host/],
    [{ sourceDateEpoch: '-1' }, /--source-date-epoch "-1"/],
    [{ sourceDateEpoch: '1e9' }, /--source-date-epoch "1e9"/],
    [{ dockerignoreMode: 'git' }, /--dockerignore-mode "git"/],
  ])('rejects %j as a usage error naming the flag', (flags, message) => {
    let caught: unknown;
    try {
      parseBuildOptions(flags, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(ExitCode.usage);
    expect((caught as UsageError).message).toMatch(message);
  });
});
