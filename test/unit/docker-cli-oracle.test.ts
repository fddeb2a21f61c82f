/**
 * Proves the docker-CLI oracle (test/support/docker-cli-oracle.ts) and pins down, as assertions,
 * what the legacy docker CLI (DOCKER_BUILDKIT=0) sends as a build context — the behaviour pack's
 * context engine must reproduce. Needs the docker CLI binary, not an engine.
 */
import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DockerCliCapture, captureDockerCliContext, dockerCliVersion } from '../support/docker-cli-oracle.js';
import { type TarEntry, readTar, readTarEntries } from '../support/tar-read.js';

const cliVersion = await dockerCliVersion();
const cliRequired = process.env.PACK_REQUIRE_ENGINE === '1' || process.env.CI === 'true';

function describeWithCli(name: string, fn: () => void): void {
  if (cliVersion !== undefined) {
    describe(name, fn);
  } else if (cliRequired) {
    describe(name, () => {
      it('has the docker CLI', () => {
        throw new Error('docker CLI required (CI / PACK_REQUIRE_ENGINE=1) but `docker --version` failed; set PACK_DOCKER_CLI or fix PATH');
      });
    });
  } else {
    console.warn(`\n!!! DOCKER CLI ORACLE SKIPPED: "${name}": no docker CLI (set PACK_DOCKER_CLI or put docker on PATH) !!!\n`);
    describe.skip(name, fn);
  }
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const INJECTED_NAME = /^\.dockerfile\.[0-9a-f]{20}$/;
const DOCKERIGNORE = 'secret.txt\n*.log\nsub/deeper/skip.me\n';

/**
 * A context exercising the walker: ignored files at two depths, a subdir, an empty dir, a symlink,
 * a hard link, an executable, a UTF-8 name, and `sub` next to `sub-x.txt` (walk order vs sort order).
 */
async function makeContext(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  const files: Array<[string, string, number]> = [
    ['.dockerignore', DOCKERIGNORE, 0o644],
    ['Dockerfile', 'FROM scratch\nCOPY . /app/\n', 0o644],
    ['debug.log', 'excluded by *.log\n', 0o644],
    ['secret.txt', 'excluded by name\n', 0o644],
    ['run.sh', '#!/bin/sh\necho run\n', 0o755],
    ['h1', 'hard linked\n', 0o664],
    ['héllo.txt', 'utf-8 name\n', 0o644],
    ['sub/a.txt', 'a\n', 0o644],
    ['sub/deeper/b.txt', 'b\n', 0o444],
    ['sub/deeper/skip.me', 'excluded by path\n', 0o644],
    ['sub-x.txt', 'sorts before sub/ but is walked after it\n', 0o644],
  ];
  for (const [path, content, mode] of files) {
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  }
  await link(join(dir, 'h1'), join(dir, 'h2'));
  await symlink('sub/a.txt', join(dir, 'link'));
  for (const path of ['.', 'sub', 'sub/deeper', 'empty']) await chmod(join(dir, path), 0o755);
}

/** Stream order of the classic CLI walker: depth first, each directory's names in byte order. */
const EXPECTED_ORDER = [
  '.dockerignore',
  'Dockerfile',
  'empty/',
  'h1',
  'h2',
  'héllo.txt',
  'link',
  'run.sh',
  'sub/',
  'sub/a.txt',
  'sub/deeper/',
  'sub/deeper/b.txt',
  'sub-x.txt',
];

function byPath(entries: TarEntry[], path: string): TarEntry {
  const entry = entries.find((candidate) => candidate.path === path);
  if (entry === undefined) throw new Error(`no member ${path} in [${entries.map((e) => e.path).join(', ')}]`);
  return entry;
}

function describeCapture(capture: DockerCliCapture): string {
  return `exit ${capture.exitCode}; requests ${JSON.stringify(capture.requests.map((r) => `${r.method} ${r.url}`))}; unknown ${JSON.stringify(capture.unknownRequests)}\nstderr: ${capture.stderr}`;
}

/** Members of the base context as the CLI sends them, checked against the files on disk. */
async function expectBaseMembers(dir: string, entries: TarEntry[]): Promise<void> {
  for (const path of EXPECTED_ORDER) {
    const entry = byPath(entries, path);
    const stat = await lstat(join(dir, path));
    expect({ path, uid: entry.uid, gid: entry.gid, uname: entry.uname, gname: entry.gname }).toEqual({ path, uid: 0, gid: 0, uname: '', gname: '' });
    expect(entry.mode, `${path} mode`).toBe(stat.mode & 0o7777);
    expect(entry.mtime, `${path} mtime (whole seconds of the file's mtime)`).toBe(Math.floor(stat.mtimeMs / 1000));
    expect(entry.format, `${path} header`).toBe('posix');
  }
  for (const path of ['.dockerignore', 'Dockerfile', 'h1', 'héllo.txt', 'run.sh', 'sub/a.txt', 'sub/deeper/b.txt', 'sub-x.txt']) {
    const content = await readFile(join(dir, path));
    expect(byPath(entries, path)).toMatchObject({ type: 'file', size: content.length, sha256: sha256(content) });
  }
  for (const path of ['empty/', 'sub/', 'sub/deeper/']) expect(byPath(entries, path)).toMatchObject({ type: 'directory', size: 0, mode: 0o755 });
  expect(byPath(entries, 'link')).toMatchObject({ type: 'symlink', linkname: 'sub/a.txt', size: 0, mode: 0o777 });
  // The second name of a hard-linked inode is a tar hard link to the first one walked.
  expect(byPath(entries, 'h2')).toMatchObject({ type: 'link', linkname: 'h1', size: 0, mode: 0o664 });
  // Non-ASCII names go into a PAX header; ASCII names here need none.
  expect(byPath(entries, 'héllo.txt').paxKeys).toEqual(['path']);
  expect(byPath(entries, 'sub/a.txt').paxKeys).toBeUndefined();
}

describeWithCli(`docker CLI ${cliVersion ?? '(missing)'} as a build-context oracle`, () => {
  let root: string;
  let context: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pack-oracle-test-'));
    context = join(root, 'context');
    await mkdir(context);
    await makeContext(context);
  });

  afterEach(async () => {
    // Undo chmod 000 (the unreadable-file case) so removal works for non-root users too.
    await chmod(join(context, 'sub', 'deeper', 'b.txt'), 0o444).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('captures the context of a plain `docker build DIR`', async () => {
    const capture = await captureDockerCliContext(context, { outDir: root });
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    expect(capture.unknownRequests).toEqual([]);
    expect(capture.requests.map((r) => r.method)).toEqual(['HEAD', 'POST']);
    expect(capture.requests[1]?.url).toMatch(/^\/v1\.41\/build\?/);
    expect(capture.query.get('dockerfile')).toBe('Dockerfile');
    expect(capture.buildHeaders['content-type']).toBe('application/x-tar');
    expect(capture.bodyComplete).toBe(true);
    expect(capture.clientVersion).toBe(cliVersion);
    expect(capture.stdout).toContain('Successfully built');

    const { entries, structure } = await readTar(capture.tarPath ?? '');
    expect(entries.map((entry) => entry.path)).toEqual(EXPECTED_ORDER);
    for (const excluded of ['secret.txt', 'debug.log', 'sub/deeper/skip.me']) {
      expect(entries.map((entry) => entry.path)).not.toContain(excluded);
    }
    await expectBaseMembers(context, entries);
    expect(structure).toMatchObject({ gzip: false, lastMemberPadded: true, trailerZeroBlocks: 2, trailingGarbage: 0 });
  });

  it('with -f outside the context, injects .dockerfile.<20 hex> at the end and appends it to .dockerignore', async () => {
    const outside = 'FROM scratch\n# outside the context\n';
    await writeFile(join(root, 'outside.Dockerfile'), outside);
    const before = Math.floor(Date.now() / 1000);
    const capture = await captureDockerCliContext(context, { dockerfile: join(root, 'outside.Dockerfile'), outDir: root });
    const after = Math.ceil(Date.now() / 1000);
    expect(capture.exitCode, describeCapture(capture)).toBe(0);

    const name = capture.query.get('dockerfile') ?? '';
    expect(name).toMatch(INJECTED_NAME);
    // No padding after the injected member and no end-of-archive blocks (the CLI closes the pipe
    // before its tar writer); the strict reader refuses that, the lenient one reads it.
    await expect(readTarEntries(capture.tarPath ?? '')).rejects.toThrow(/not terminated/);
    const { entries, structure } = await readTar(capture.tarPath ?? '', { allowMissingTrailer: true });
    expect(structure).toMatchObject({ lastMemberPadded: false, trailerZeroBlocks: 0 });

    // Same walk as without -f, plus the injected Dockerfile as the very last member.
    expect(entries.map((entry) => entry.path)).toEqual([...EXPECTED_ORDER, name]);
    const injected = entries.at(-1);
    expect(injected).toMatchObject({ path: name, type: 'file', mode: 0o600, uid: 0, gid: 0, uname: '', gname: '', size: Buffer.byteLength(outside), sha256: sha256(outside) });
    expect(injected?.mtime).toBeGreaterThanOrEqual(before);
    expect(injected?.mtime).toBeLessThanOrEqual(after);

    // .dockerignore keeps its place and its header from disk; its content gains "\n<name>\n".
    const ignore = byPath(entries, '.dockerignore');
    const rewritten = `${DOCKERIGNORE}\n${name}\n`;
    const onDisk = await lstat(join(context, '.dockerignore'));
    expect(ignore).toMatchObject({ mode: 0o644, size: Buffer.byteLength(rewritten), sha256: sha256(rewritten), mtime: Math.floor(onDisk.mtimeMs / 1000) });
  });

  it('with -f outside and no .dockerignore, appends .dockerfile.<hex> and a new .dockerignore (both 0600, either order)', async () => {
    await rm(join(context, '.dockerignore'));
    await writeFile(join(root, 'outside.Dockerfile'), 'FROM scratch\n');
    const before = Math.floor(Date.now() / 1000);
    const capture = await captureDockerCliContext(context, { dockerfile: join(root, 'outside.Dockerfile'), outDir: root });
    const after = Math.ceil(Date.now() / 1000);
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    const name = capture.query.get('dockerfile') ?? '';
    expect(name).toMatch(INJECTED_NAME);

    const { entries, structure } = await readTar(capture.tarPath ?? '', { allowMissingTrailer: true });
    expect(structure).toMatchObject({ lastMemberPadded: false, trailerZeroBlocks: 0 });
    const paths = entries.map((entry) => entry.path);
    // Nothing is ignored now, so the formerly excluded files are in the walk. The two new members
    // come last in either order: the CLI appends them by iterating a Go map (observed both ways).
    expect(paths.slice(0, -2)).toEqual([
      'Dockerfile',
      'debug.log',
      'empty/',
      'h1',
      'h2',
      'héllo.txt',
      'link',
      'run.sh',
      'secret.txt',
      'sub/',
      'sub/a.txt',
      'sub/deeper/',
      'sub/deeper/b.txt',
      'sub/deeper/skip.me',
      'sub-x.txt',
    ]);
    expect([...paths.slice(-2)].sort()).toEqual([name, '.dockerignore'].sort());
    expect(paths).toContain('secret.txt');
    const created = `.dockerignore\n${name}\n`;
    const ignore = byPath(entries, '.dockerignore');
    expect(ignore).toMatchObject({ type: 'file', mode: 0o600, uid: 0, gid: 0, size: Buffer.byteLength(created), sha256: sha256(created) });
    expect(ignore.mtime).toBeGreaterThanOrEqual(before);
    expect(ignore.mtime).toBeLessThanOrEqual(after);
    expect(byPath(entries, name)).toMatchObject({ mode: 0o600, sha256: sha256('FROM scratch\n') });
  });

  it('with -f - (Dockerfile on stdin), injects it the same way', async () => {
    const stdin = 'FROM scratch\n# from stdin\n';
    const capture = await captureDockerCliContext(context, { dockerfile: '-', stdin, outDir: root });
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    const name = capture.query.get('dockerfile') ?? '';
    expect(name).toMatch(INJECTED_NAME);
    const entries = await readTarEntries(capture.tarPath ?? '', { allowMissingTrailer: true });
    expect(entries.at(-1)).toMatchObject({ path: name, mode: 0o600, sha256: sha256(stdin) });
    expect(byPath(entries, '.dockerignore').sha256).toBe(sha256(`${DOCKERIGNORE}\n${name}\n`));
  });

  it('with -f inside the context, names it relative to the context and keeps it even when .dockerignore lists it', async () => {
    await mkdir(join(context, 'docker'));
    await writeFile(join(context, 'docker', 'app.Dockerfile'), 'FROM scratch\n');
    await writeFile(join(context, '.dockerignore'), 'Dockerfile\n.dockerignore\ndocker/\n');
    // -f is resolved against the CLI's working directory, not against the context.
    const capture = await captureDockerCliContext('.', { dockerfile: 'docker/app.Dockerfile', cwd: context, outDir: root });
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    expect(capture.query.get('dockerfile')).toBe('docker/app.Dockerfile');
    const { entries, structure } = await readTar(capture.tarPath ?? '');
    expect(structure).toMatchObject({ lastMemberPadded: true, trailerZeroBlocks: 2 });
    const paths = entries.map((entry) => entry.path);
    // The selected Dockerfile and .dockerignore survive their own exclusion; the unused
    // ./Dockerfile does not; the excluded docker/ dir gets no entry of its own.
    expect(paths).toContain('.dockerignore');
    expect(paths).toContain('docker/app.Dockerfile');
    expect(paths).not.toContain('Dockerfile');
    expect(paths).not.toContain('docker/');
  });

  it('falls back to a lowercase `dockerfile` when there is no `Dockerfile`', async () => {
    await rm(join(context, 'Dockerfile'));
    await writeFile(join(context, 'dockerfile'), 'FROM scratch\n');
    const capture = await captureDockerCliContext(context, { outDir: root });
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    expect(capture.query.get('dockerfile')).toBe('dockerfile');
  });

  it('sends a gzip body with --compress, same members', async () => {
    const capture = await captureDockerCliContext(context, { extraArgs: ['--compress'], outDir: root });
    expect(capture.exitCode, describeCapture(capture)).toBe(0);
    expect(capture.buildHeaders['content-type']).toBe('application/x-tar');
    const { entries, structure } = await readTar(capture.tarPath ?? '');
    expect(structure.gzip).toBe(true);
    expect(entries.map((entry) => entry.path)).toEqual(EXPECTED_ORDER);
  });

  it('reports a missing Dockerfile as exit 1 without sending a build', async () => {
    const capture = await captureDockerCliContext(context, { dockerfile: join(context, 'nope.Dockerfile'), outDir: root });
    expect(capture.exitCode).toBe(1);
    expect(capture.tarPath).toBeUndefined();
    expect(capture.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['HEAD /_ping']);
    expect(capture.stderr).toContain(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(context, 'nope.Dockerfile')}: no such file or directory`);

    // A relative -f is looked up from the working directory: from the context's parent it is missing.
    const relative = await captureDockerCliContext(context, { dockerfile: 'sub/a.txt', cwd: root, outDir: root });
    expect(relative.exitCode).toBe(1);
    expect(relative.stderr).toContain(`lstat ${join(root, 'sub')}: no such file or directory`);
  });

  it('reports an unreadable file as exit 1 before sending anything', async () => {
    const unreadable = join(context, 'sub', 'deeper', 'b.txt');
    await chmod(unreadable, 0o000);
    // Root reads anything, so as root run the CLI as nobody (every other file is world-readable).
    // The CLI stops at the first unreadable file in walk order.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await chmod(root, 0o755);
    const capture = await captureDockerCliContext(context, {
      ...(asRoot ? { runAs: { uid: 65534, gid: 65534 } } : {}),
    });
    try {
      expect(capture.exitCode, describeCapture(capture)).toBe(1);
      expect(capture.tarPath).toBeUndefined();
      expect(capture.stderr).toContain(`error checking context: no permission to read from '${unreadable}'`);
    } finally {
      await capture.cleanup();
    }
  });
});
