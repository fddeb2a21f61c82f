/**
 * The .dockerignore pack init writes, checked with pack's implementation of Docker's own matcher
 * (src/context/dockerignore, proven against moby's vectors): what it excludes at the root and at
 * depth, what it keeps, and how .gitignore lines are translated.
 */
import { describe, expect, it } from 'vitest';
import { parseIgnoreFile } from '../../src/context/dockerignore/ignore-file.js';
import { PatternMatcher } from '../../src/context/dockerignore/matcher.js';
import { memoryProjectFiles } from '../../src/detect/project-files.js';
import { generateDockerignore, translateGitignoreLine } from '../../src/plan/dockerignore-file.js';
import { createProjectPlan } from '../../src/plan/project-plan.js';

function excludes(dockerignore: string): (path: string) => boolean {
  const matcher = new PatternMatcher(parseIgnoreFile(dockerignore, '.dockerignore'));
  matcher.checkAll();
  return (path) => matcher.matchesOrParentMatches(path);
}

describe('translateGitignoreLine', () => {
  it.each([
    ['node_modules', '**/node_modules'],
    ['node_modules/', '**/node_modules'],
    ['/dist', 'dist'],
    ['/dist/', 'dist'],
    ['docs/build', 'docs/build'],
    ['docs/**/*.html', 'docs/**/*.html'],
    ['**/tmp', '**/tmp'],
    ['*.log', '**/*.log'],
    ['!keep.log', '!**/keep.log'],
    ['!/public/index.html', '!public/index.html'],
    ['\\#notacomment', '**/#notacomment'],
    ['trailing   ', '**/trailing'],
    ['windows\r', '**/windows'],
  ])('%j → %j', (line, expected) => {
    expect(translateGitignoreLine(line)).toBe(expected);
  });

  it.each(['', '   ', '# comment', '/', '!'])('%j is dropped', (line) => {
    expect(translateGitignoreLine(line)).toBeUndefined();
  });
});

describe('generateDockerignore', () => {
  const text = generateDockerignore({
    ecosystem: 'node',
    app: '.',
    gitignore: '# build output\n/build\nnode_modules/\n*.log\n!important.log\ncache/\n',
    keep: ['package.json', 'package-lock.json'],
  });
  const excluded = excludes(text);

  it('is valid for Docker (every pattern compiles)', () => {
    expect(() => excludes(text)).not.toThrow();
  });

  it('excludes VCS data, secrets and dependencies at the root and at any depth', () => {
    for (const path of ['.git/config', '.env', 'config/.env.production', 'keys/server.pem', 'node_modules/ms/index.js', 'packages/a/node_modules/x/y.js', 'npm-debug.log.1']) {
      expect(excluded(path), path).toBe(true);
    }
  });

  it('keeps the code, the example env file and what the Dockerfile copies first', () => {
    for (const path of ['server.js', 'src/index.js', '.env.example', 'package.json', 'package-lock.json', 'Dockerfile']) {
      expect(excluded(path), path).toBe(false);
    }
  });

  it("translates .gitignore lines with git's depth rules and keeps negations in order", () => {
    expect(excluded('build/app.js')).toBe(true);
    expect(excluded('src/build/app.js')).toBe(false); // `/build` is anchored in git too
    expect(excluded('logs/app.log')).toBe(true);
    expect(excluded('logs/important.log')).toBe(false);
    expect(excluded('src/cache/x')).toBe(true); // `cache/` matches at any depth
    expect(text).not.toContain('# build output');
  });

  it('does not repeat an exclusion the defaults already have', () => {
    expect(text.split('\n').filter((line) => line === '**/node_modules')).toHaveLength(1);
  });

  it('re-includes the manifests even when .gitignore would exclude them', () => {
    const withLockIgnored = generateDockerignore({ ecosystem: 'node', app: '.', gitignore: 'package-lock.json\n', keep: ['package.json', 'package-lock.json'] });
    expect(excludes(withLockIgnored)('package-lock.json')).toBe(false);
    expect(withLockIgnored.trimEnd().split('\n').slice(-2)).toEqual(['!package.json', '!package-lock.json']);
  });

  it('places root-anchored ecosystem entries under the app directory of a monorepo', () => {
    const monorepo = generateDockerignore({ ecosystem: 'rust', app: 'services/engine', keep: [] });
    expect(excludes(monorepo)('services/engine/target/release/x')).toBe(true);
    expect(excludes(monorepo)('target/x')).toBe(false);
  });

  it('is what pack init plans for a project, byte for byte the same each time', () => {
    const files = memoryProjectFiles({ 'requirements.txt': 'flask==3.0.3\n', 'app.py': '', '.gitignore': '.venv/\n__pycache__/\n' });
    const first = createProjectPlan(files).plan.generated?.dockerignore ?? '';
    expect(createProjectPlan(files).plan.generated?.dockerignore).toBe(first);
    expect(excludes(first)('pkg/__pycache__/m.cpython-312.pyc')).toBe(true);
    expect(excludes(first)('.venv/bin/python')).toBe(true);
    expect(excludes(first)('requirements.txt')).toBe(false);
  });
});
