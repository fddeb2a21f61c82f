import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareContext } from '../../src/context/prepare.js';
import { buildContextReport } from '../../src/context/report.js';
import { explainPath } from '../../src/context/why.js';
import { writeTree, type TreeFiles } from '../support/tree.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pack-report-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const tree = (files: TreeFiles): string => writeTree(root, files);

describe('context report', () => {
  it('counts what is sent and attributes exclusions to their lines', () => {
    tree({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# deps\nnode_modules\n*.log\n',
      'src/a.js': 1000,
      'src/b.js': 3000,
      'node_modules/x/index.js': 500,
      'node_modules/y/index.js': 700,
      'debug.log': 50,
      'README.md': 10,
    });
    const report = buildContextReport(prepareContext({ contextDir: root, mode: 'buildkit' }));
    expect(report.sent).toMatchObject({ files: 5, dirs: 1, bytes: 13 + 26 + 4000 + 10 });
    expect(report.excluded).toEqual({
      files: 3,
      bytes: 1250,
      byPattern: [
        { pattern: 'node_modules', where: '.dockerignore:2', files: 2, bytes: 1200 },
        { pattern: '*.log', where: '.dockerignore:3', files: 1, bytes: 50 },
      ],
    });
    expect(report.largestDirs).toEqual([{ path: 'src', bytes: 4000, files: 2 }]);
    expect(report.largestFiles[0]).toEqual({ path: 'src/b.js', bytes: 3000, files: 1 });
    expect(report.ignoreFile).toEqual({ name: '.dockerignore', patterns: 2 });
  });

  it('warns about secrets, dependency folders, VCS history and gitignored files that would be sent', () => {
    tree({
      Dockerfile: '',
      '.env': 'TOKEN=x',
      '.env.example': 'TOKEN=',
      'keys/id_rsa': 'k',
      'keys/id_rsa.pub': 'k',
      'certs/server.pem': 'k',
      '.npmrc': '//registry.npmjs.org/:_authToken=abc\n',
      'other/.npmrc': 'save-exact=true\n',
      'node_modules/x.js': '',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'app/__pycache__/m.pyc': '',
      '.gitignore': 'dist/\n*.tmp\n',
      'dist/bundle.js': '',
      'scratch.tmp': '',
    });
    const report = buildContextReport(prepareContext({ contextDir: root, mode: 'buildkit' }));
    const byCode = Object.fromEntries(report.warnings.map((w) => [w.code, w]));
    expect(byCode['secret']?.paths).toEqual([
      '.env (environment file)',
      '.npmrc (.npmrc with a token or password)',
      'certs/server.pem (key or certificate store)',
      'keys/id_rsa (SSH private key)',
    ]);
    expect(byCode['dependency-dir']?.paths).toEqual(['node_modules']);
    expect(byCode['vcs-dir']?.paths).toEqual(['.git']);
    expect(byCode['cache-dir']?.paths).toEqual(['app/__pycache__']);
    expect(byCode['gitignored']?.paths).toEqual(['dist/bundle.js', 'scratch.tmp']);
  });

  it('flags files over 100 MB without reading them', () => {
    tree({ Dockerfile: '' });
    // A sparse file: the size without the disk use.
    const fd = openSync(join(root, 'data.bin'), 'w');
    ftruncateSync(fd, 101 * 1024 * 1024);
    closeSync(fd);
    const report = buildContextReport(prepareContext({ contextDir: root, mode: 'legacy' }));
    expect(report.warnings.find((w) => w.code === 'big-file')?.paths).toEqual(['data.bin']);
  });

  it('says where the two walkers differ', () => {
    tree({ Dockerfile: '', '.dockerignore': '*\n!**/*.py\n', 'top.py': '', 'sub/a.py': '' });
    const report = buildContextReport(prepareContext({ contextDir: root, mode: 'buildkit' }));
    expect(report.walkerDifferences).toEqual({
      count: 2,
      examples: [
        { path: 'sub', buildkit: true, legacy: false },
        { path: 'sub/a.py', buildkit: true, legacy: false },
      ],
    });
    expect(report.warnings.map((w) => w.code)).toContain('walker-difference');
  });
});

describe('--why', () => {
  beforeEach(() => {
    tree({
      Dockerfile: '',
      '.dockerignore': 'Dockerfile\nnode_modules\n*\n!src\n!**/*.py\n',
      'node_modules/x.js': '',
      'src/app.js': '',
      'sub/a.py': '',
      'other.txt': '',
    });
  });

  it('names the deciding line (once excluded, later exclusion lines are not consulted, as in moby)', () => {
    const context = prepareContext({ contextDir: root, mode: 'buildkit' });
    expect(explainPath(context, 'node_modules/x.js').verdict).toMatchObject({
      sent: false,
      decidedBy: { pattern: 'node_modules', where: '.dockerignore:2' },
    });
    expect(explainPath(context, 'other.txt').verdict).toMatchObject({
      sent: false,
      decidedBy: { pattern: '*', where: '.dockerignore:3' },
    });
    expect(explainPath(context, './src/app.js').verdict).toMatchObject({
      sent: true,
      decidedBy: { pattern: '!src', where: '.dockerignore:4' },
    });
    expect(explainPath(context, 'src/app.js').explanation).toBe('src/app.js: sent: re-included by .dockerignore:4 "!src"');
  });

  it('explains pruning and the other walker', () => {
    const context = prepareContext({ contextDir: root, mode: 'buildkit' });
    const result = explainPath(context, 'sub/a.py');
    expect(result.verdict).toMatchObject({ sent: true, prunedAt: null });
    expect(result.otherWalker).toMatchObject({ mode: 'legacy', sent: false, prunedAt: 'sub' });
    expect(result.explanation).toContain('with the legacy walker: not sent: directory sub is excluded by .dockerignore:3 "*"');
  });

  it('explains the always-sent Dockerfile and the daemon removing it', () => {
    for (const mode of ['buildkit', 'legacy'] as const) {
      const result = explainPath(prepareContext({ contextDir: root, mode }), 'Dockerfile');
      expect(result.verdict).toMatchObject({ sent: true, forced: true, decidedBy: { pattern: 'Dockerfile', where: '.dockerignore:1' } });
      expect(result.removedByDaemon).toBe(true);
    }
  });

  it('says when no line matched', () => {
    writeFileSync(join(root, '.dockerignore'), 'nothing-here\n');
    const result = explainPath(prepareContext({ contextDir: root, mode: 'buildkit' }), 'other.txt');
    expect(result.explanation).toBe('other.txt: sent: no .dockerignore line matches it');
    expect(explainPath(prepareContext({ contextDir: root, mode: 'buildkit' }), 'missing').explanation).toContain('[no such file in the context]');
  });
});
