import { describe, expect, it } from 'vitest';
import { parseBuildOptions } from '../../src/build/build-options.js';
import { ExitCode, UsageError } from '../../src/errors.js';

describe('tags', () => {
  const tagsOf = (...tag: string[]): unknown => parseBuildOptions({ tag }, {}).tags;
  it('accepts what docker accepts, defaulting the tag to latest and dropping repeats', () => {
    expect(tagsOf('app', 'team/app:1.4.2', 'app:latest')).toEqual([
      { repository: 'app', tag: 'latest' },
      { repository: 'team/app', tag: '1.4.2' },
    ]);
    expect(tagsOf('localhost:5000/app', 'Registry.Example.com:5000/a/b__c.d-e:V_1.0-rc')).toEqual([
      { repository: 'localhost:5000/app', tag: 'latest' },
      { repository: 'Registry.Example.com:5000/a/b__c.d-e', tag: 'V_1.0-rc' },
    ]);
  });

  it.each(['App:1', 'app:', 'app:-x', `app:${'x'.repeat(129)}`, 'a//b', 'app/', 'a..b', 'reg:port/app', ''])(
    'rejects %j as a usage error naming the flag and the value',
    (input) => {
      expect(() => tagsOf(input)).toThrow(UsageError);
      expect(() => tagsOf(input)).toThrow(`-t/--tag ${JSON.stringify(input)}`);
    },
  );

  it('refuses a digest as a tag', () => {
    expect(() => tagsOf(`app@sha256:${'a'.repeat(64)}`)).toThrow(/a digest cannot be a build's tag/);
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
    [{ tag: ['Bad:1'] }, /-t\/--tag "Bad:1": "Bad:1" is not a valid image reference/],
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
