/**
 * `pack context` and `pack plan` as users run them: the built binary in temp dirs — outputs,
 * determinism, exit codes, one-line errors, and no half-written files.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runPack, unprivileged } from '../support/run-pack.js';
import { readTarEntries } from '../support/tar-read.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

let base: string;
let dir: string;
let counter = 0;
beforeAll(() => {
  assertBuilt();
  base = mkdtempSync(join(tmpdir(), 'pack-cli-context-'));
  chmodSync(base, 0o755);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));
beforeEach(() => {
  counter += 1;
  dir = join(base, `p${counter}`);
  mkdirSync(dir, { mode: 0o755 });
});

const tree = (files: TreeFiles): string => writeTree(dir, files);

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pack = (args: string[], env: Record<string, string> = {}) => runPack(args, { cwd: dir, home: base, env });

describe('pack context', () => {
  it('writes the tar a build would send and says what it wrote', async () => {
    tree({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'secret\n', 'app/main.js': 'x', secret: 's' });
    const run = await pack(['context', '.', '-o', 'out.tar']);
    expect(run.code).toBe(0);
    const tar = readFileSync(join(dir, 'out.tar'));
    expect(run.stderr).toBe(`wrote out.tar: 4 entries, ${(tar.length / 1000).toFixed(1)} kB tar, sha256:${sha(tar)}\n`);
    const entries = await readTarEntries(tar);
    expect(entries.map((e) => e.path)).toEqual(['.dockerignore', 'Dockerfile', 'app/', 'app/main.js']);
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app', 'out.tar', 'secret']);
  });

  it('is byte-identical whatever the file times when SOURCE_DATE_EPOCH is set (env or flag)', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'a.txt': 'a' });
    const first = await pack(['context', '.', '-o', '-'], { SOURCE_DATE_EPOCH: '1700000000' });
    utimesSync(join(dir, 'a.txt'), new Date(), new Date(Date.now() + 3_600_000));
    const second = await pack(['context', '.', '-o', '-', '--source-date-epoch', '1700000000']);
    const unclamped = await pack(['context', '.', '-o', '-']);
    expect(first.code).toBe(0);
    expect(sha(second.stdoutBytes)).toBe(sha(first.stdoutBytes));
    expect(sha(unclamped.stdoutBytes)).not.toBe(sha(first.stdoutBytes));
    expect((await readTarEntries(first.stdoutBytes)).every((e) => e.mtime <= 1700000000)).toBe(true);
  });

  it('--gzip gives the same tar, compressed', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'a.txt': 'a'.repeat(10_000) });
    const plain = await pack(['context', '.', '-o', '-']);
    const gz = await pack(['context', '.', '-o', 'c.tar.gz', '--gzip']);
    expect(gz.code).toBe(0);
    expect(sha(gunzipSync(readFileSync(join(dir, 'c.tar.gz'))))).toBe(sha(plain.stdoutBytes));
  });

  it('--list prints the paths; with --json one entry per line', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'src/a.js': 'x' });
    const list = await pack(['context', '.', '--list']);
    expect(list.stdout).toBe('Dockerfile\nsrc/\nsrc/a.js\n');
    const json = await pack(['context', '.', '--list', '--json']);
    const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; type: string; size: number });
    expect(rows.map((r) => [r.path, r.type, r.size])).toEqual([
      ['Dockerfile', 'file', 13],
      ['src', 'dir', 0],
      ['src/a.js', 'file', 1],
    ]);
  });

  it('--json prints a result object on stdout', async () => {
    tree({ Dockerfile: 'FROM scratch\n' });
    const run = await pack(['context', '.', '-o', 'x.tar', '--json']);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ type: 'result', output: 'x.tar', files: 1, sha256: sha(readFileSync(join(dir, 'x.tar'))) });
  });

  it('bad input: one line naming the file, line or flag; exit 2; nothing written', async () => {
    tree({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'ok\n\n  [\n' });
    const pattern = await pack(['context', '.', '-o', 'out.tar']);
    expect(pattern.code).toBe(2);
    expect(pattern.stderr.split('\n')[0]).toBe('pack: .dockerignore:3: syntax error in pattern: unterminated character class (pattern "[")');
    writeFileSync(join(dir, '.dockerignore'), '!\n');
    expect((await pack(['context', '.', '-o', 'out.tar'])).stderr).toMatch(/^pack: \.dockerignore:1: illegal exclusion pattern: "!"\n/);
    const flag = await pack(['context', '.', '-o', 'out.tar', '--source-date-epoch', 'yesterday']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^pack: --source-date-epoch: expected whole seconds/);
    expect((await pack(['context', '.', '-o', 'out.tar'], { SOURCE_DATE_EPOCH: '-1' })).stderr).toMatch(/^pack: SOURCE_DATE_EPOCH: /);
    const mode = await pack(['context', '.', '--list', '--dockerignore-mode', 'classic']);
    expect(mode.stderr).toMatch(/^pack: --dockerignore-mode: expected buildkit or legacy, got "classic"\n/);
    const missing = await pack(['context', 'nope', '-o', 'out.tar']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pack: context directory .*nope does not exist\n/);
    const noDockerfile = await pack(['context', '.', '-f', 'Other.Dockerfile', '-o', 'out.tar']);
    expect(noDockerfile.stderr).toMatch(/^pack: Dockerfile not found: .*Other\.Dockerfile\n/);
    const nothing = await pack(['context', '.']);
    expect(nothing.code).toBe(2);
    for (const run of [pattern, flag, missing, noDockerfile]) expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.startsWith('out.tar'))).toEqual([]);
  });

  it('an unreadable file that would be sent: one line naming it, exit 1, no output file', async () => {
    tree({ Dockerfile: 'FROM scratch\n', 'ok.txt': 'x', 'private/key.pem': 'secret' });
    chmodSync(join(dir, 'private/key.pem'), 0o600);
    chmodSync(dir, 0o777); // the unprivileged run must be able to create its output here
    const run = await runPack(['context', dir, '-o', join(dir, 'out.tar')], unprivileged());
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe('pack: cannot read private/key.pem: permission denied');
    expect(readdirSync(dir).filter((f) => f.startsWith('out.tar'))).toEqual([]);
  });

  it('Ctrl-C while writing leaves nothing at the output path', async () => {
    tree({ Dockerfile: 'FROM scratch\n' });
    // 4 GB of holes: slow enough to interrupt, no disk used.
    const fd = openSync(join(dir, 'big.bin'), 'w');
    ftruncateSync(fd, 4 * 1024 ** 3);
    closeSync(fd);
    const run = await runPack(['context', '.', '-o', 'out.tar'], { cwd: dir, home: base, interruptAfterMs: 700 });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('pack: interrupted');
    expect(readdirSync(dir).filter((f) => f.startsWith('out.tar'))).toEqual([]);
  });
});

describe('pack plan (context part)', () => {
  it('--json gives the context report, --why the deciding line', async () => {
    tree({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'node_modules\n', 'node_modules/x/i.js': 'x', 'index.js': 'y', '.env': 'K=v' });
    const run = await pack(['plan', '.', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { schemaVersion: number; context: { sent: { files: number }; excluded: { byPattern: unknown[] }; warnings: { code: string }[] } };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.context.sent.files).toBe(4);
    expect(doc.context.excluded.byPattern).toEqual([{ pattern: 'node_modules', where: '.dockerignore:1', files: 1, bytes: 1 }]);
    expect(doc.context.warnings.map((w) => w.code)).toContain('secret');
    const why = await pack(['plan', '.', '--why', 'node_modules/x/i.js', 'index.js']);
    expect(why.stdout).toBe(
      'node_modules/x/i.js: not sent: directory node_modules is excluded by .dockerignore:1 "node_modules" and the buildkit walker does not enter it\n' +
        'index.js: sent: no .dockerignore line matches it\n',
    );
  });

  it('the text report shows totals, exclusions by line and warnings', async () => {
    tree({ Dockerfile: 'FROM scratch\n', '.dockerignore': '*.log\n', 'a.log': 'xx', 'src/app.js': 'x'.repeat(2000), '.env': 'K=v' });
    const run = await pack(['plan', '.']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Ignore file .dockerignore (1 pattern)');
    expect(run.stdout).toMatch(/\n {2}\*\.log +\.dockerignore:1 +1 files/);
    expect(run.stdout).toMatch(/Largest directories\n {2}src +█+ +2\.0 kB {2}1 file\n/);
    expect(run.stdout).toContain('! 1 likely secret would be sent and end up in the image; add it to .dockerignore\n      .env (environment file)');
  });

  it('names the engine a build would use and why, without contacting it', async () => {
    tree({ Dockerfile: 'FROM scratch\n' });
    const run = await pack(['plan', '.', '--json'], { DOCKER_HOST: 'tcp://192.0.2.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { engine: unknown }).engine).toEqual({
      url: 'tcp://192.0.2.1:2376',
      source: 'DOCKER_HOST',
      context: 'default',
      reason: 'DOCKER_HOST=tcp://192.0.2.1:2376 (TLS, verified)',
    });
    const flag = await pack(['plan', '.', '-H', 'unix:///tmp/nothing.sock']);
    expect(flag.stdout).toContain('\nEngine      unix:///tmp/nothing.sock — --host unix:///tmp/nothing.sock\n');
  });
});
