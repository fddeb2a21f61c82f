/** The project-level rules: overrides and their precedence, config files, ambiguity, determinism. */
import { describe, expect, it } from 'vitest';
import { decided, fixture, plan, usageError } from '../support/project-plans.js';
import { describeCommand, parseCommand, toExecArgv } from '../../src/detect/command.js';
import { detectProject } from '../../src/detect/detect-project.js';
import { memoryProjectFiles } from '../../src/detect/project-files.js';
import { resolveNodeVersion, resolvePythonVersion } from '../../src/detect/runtime-version.js';
import { UsageError } from '../../src/errors.js';
import { formatProjectPlan } from '../../src/plan/format-plan.js';
import { createProjectPlan, planProject } from '../../src/plan/project-plan.js';
import type { PlanFlags } from '../../src/plan/settings.js';


const NODE_APP = {
  'package.json': JSON.stringify({ name: 'app', scripts: { start: 'node server.js' } }, null, 2),
  'package-lock.json': '{}',
  'server.js': 'server.listen(process.env.PORT || 3000);\n',
};

describe('precedence: flag > config file > detection', () => {
  it('config (package.json "pack") beats detection; every overridden decision names its source and what it replaced', () => {
    const p = plan(fixture('node-config'));
    expect(decided(p, 'port')).toMatchObject({ value: 9000, source: 'config', reason: 'package.json:8 "port"', over: ['3000 (index.js reads $PORT, falling back to 3000)'] });
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Node.js 20', source: 'config' });
    expect(decided(p, 'start')).toMatchObject({ value: 'node --enable-source-maps index.js', source: 'config' });
    // The app reads PORT, so the override really moves the listener.
    expect(p.generated?.text).toContain('ENV PORT=9000\nEXPOSE 9000');
  });

  it('a flag beats the config file', () => {
    const p = plan(fixture('node-config'), { port: '7000', node: '22', base: 'node:local' });
    expect(decided(p, 'port')).toMatchObject({ value: 7000, source: 'flag', reason: '--port' });
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Node.js 22', source: 'flag' });
    expect(decided(p, 'baseImage')).toMatchObject({ value: 'node:local', source: 'flag', over: ['node:22-bookworm-slim'] });
    expect(p.generated?.text).toMatch(/# base image from --base \(instead of node:22-bookworm-slim, .*\)\nFROM node:local\n/);
  });

  it('pack.json configures too, and --port on a fixed port warns that only EXPOSE changes', () => {
    const files = memoryProjectFiles({ 'pack.json': '{\n  "cmd": "node other.js"\n}\n', 'package.json': JSON.stringify({ main: 'a.js' }), 'a.js': 'app.listen(3000)\n' });
    const p = plan(files, { port: 8080 });
    expect(decided(p, 'start')).toMatchObject({ source: 'config', reason: 'pack.json:2 "cmd"' });
    expect(p.warnings.find((w) => w.code === 'port-override-fixed')?.message).toMatch(/a\.js:1 fixes port 3000 in code, so only EXPOSE changes/);
  });

  it('--cmd with shell syntax keeps a shell, with exec so the app is PID 1', () => {
    const p = plan(memoryProjectFiles(NODE_APP), { cmd: 'node server.js --name "$HOSTNAME"' });
    expect(p.generated?.text).toContain('CMD ["/bin/sh", "-c", "exec node server.js --name \\"$HOSTNAME\\""]');
  });

  it('--ecosystem settles several project types; without it the error lists them', () => {
    const files = memoryProjectFiles({ ...NODE_APP, 'requirements.txt': 'flask==3.0.3\n', 'main.py': '' });
    const error = usageError(() => plan(files));
    expect(error.message).toBe('several project types in .: node (package.json), python (requirements.txt); pack will not guess');
    expect(error.hint).toContain('--ecosystem, or "ecosystem" in pack.json');
    const p = plan(files, { ecosystem: 'python' });
    expect(decided(p, 'ecosystem')).toMatchObject({ value: 'python', source: 'flag', over: ['node (package.json)'] });
    expect(() => plan(files, { ecosystem: 'go' })).toThrow(/--ecosystem: no Go project files in \./);
  });
});

describe('bad input: one line naming the flag or file, exit code 2', () => {
  it.each([
    [{ port: '0' }, /^--port: "0" is not a port number \(1-65535\)$/],
    [{ port: '80a' }, /^--port: "80a" is not a port number/],
    [{ base: 'Node:22' }, /^--base: "Node:22" is not a valid image reference$/],
    [{ base: 'node:' }, /^--base: "node:" is not a valid image reference$/],
    [{ python: '2.7' }, /^--python: cannot read "2\.7" as a version/],
    [{ node: 'lts/unknown' }, /^--node: cannot read "lts\/unknown" as a version \(unknown LTS codename/],
    [{ ecosystem: 'cobol' }, /^--ecosystem: unknown ecosystem "cobol"$/],
    [{ app: '../elsewhere' }, /^--app: "\.\.\/elsewhere" leaves the project directory$/],
    [{ app: 'missing' }, /^--app: missing is not a directory in the project$/],
    [{ cmd: '   ' }, /^--cmd: expected a non-empty string/],
  ] as const)('%o', (flags, message) => {
    const error = usageError(() => plan(memoryProjectFiles(NODE_APP), flags as PlanFlags));
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it('config file errors name the file, line and key', () => {
    expect(usageError(() => plan(memoryProjectFiles({ ...NODE_APP, 'pack.json': '{\n  "prot": 80\n}\n' }))).message).toBe('pack.json:2: unknown key "prot" in pack.json');
    expect(usageError(() => plan(memoryProjectFiles({ ...NODE_APP, 'pack.json': '{\n  "port": "x"\n}\n' }))).message).toMatch(/^pack\.json:2 "port": "x" is not a port number/);
    expect(usageError(() => plan(memoryProjectFiles({ ...NODE_APP, 'pack.json': '{\n  "port": 80,\n}\n' }))).message).toMatch(/^pack\.json:3:1: invalid JSON/);
    expect(usageError(() => plan(memoryProjectFiles({ ...NODE_APP, 'pack.json': '{}', 'package.json': '{"pack": {}}' }))).message).toBe(
      'pack.json and a "pack" key in package.json both configure pack',
    );
  });

  it('a broken manifest names its file, line and column', () => {
    expect(usageError(() => plan(memoryProjectFiles({ 'package.json': '{\n  "name": "x",\n}\n' }))).message).toMatch(/^package\.json:3:1: invalid JSON/);
    expect(usageError(() => plan(memoryProjectFiles({ 'pyproject.toml': '[project\nname = 1\n' }))).message).toMatch(/^pyproject\.toml:1:\d+: invalid TOML/);
    expect(usageError(() => plan(memoryProjectFiles({ 'environment.yml': 'dependencies: [a\nb: c: d\n' }))).message).toMatch(/^environment\.yml:2:\d+: invalid YAML/);
  });
});

describe('determinism', () => {
  it('the same project gives a byte-identical plan whatever order its files were listed or created in', () => {
    const entries = Object.entries({
      ...NODE_APP,
      'packages/b/package.json': '{"name":"b"}',
      'packages/a/package.json': '{"name":"a"}',
      '.gitignore': 'z\ny\n',
      Procfile: 'web: node server.js\n',
    });
    const forward = plan(memoryProjectFiles(Object.fromEntries(entries)));
    const backward = plan(memoryProjectFiles(Object.fromEntries([...entries].reverse())));
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
    expect(formatProjectPlan(backward)).toBe(formatProjectPlan(forward));
  });

  it('the plan is versioned and survives a JSON round trip unchanged', () => {
    const p = plan(fixture('node-npm'));
    expect(p.schemaVersion).toBe(1);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(p.build.labelArgs.map((a) => a.arg)).toEqual(['OCI_SOURCE', 'OCI_REVISION', 'OCI_VERSION', 'OCI_CREATED']);
  });
});

describe("the project's own Dockerfile", () => {
  it('is what pack build uses; the generated one is still planned for comparison', () => {
    const p = plan(fixture('node-own-dockerfile'));
    expect(p.dockerfile).toMatchObject({ source: 'project', path: 'Dockerfile' });
    expect(p.dockerfile.text).toContain('FROM node:20-bookworm-slim');
    expect(p.generated?.template).toBe('templates/node.Dockerfile');
    expect(p.build).toMatchObject({ baseImage: 'node:20-bookworm-slim', labelArgs: [] });
    expect(p.warnings.map((w) => w.code)).toContain('own-dockerfile');
  });

  it('an ambiguity does not block planning a build with the project\'s own Dockerfile, but init needs the choice', () => {
    const files = memoryProjectFiles({ Dockerfile: 'FROM busybox:local\n', 'a/go.mod': 'module a\n', 'b/Gemfile': '' });
    const p = plan(files);
    expect(p.generated).toBeNull();
    expect(p.warnings.find((w) => w.code === 'generation-skipped')?.message).toMatch(/2 projects below it/);
    expect(() => createProjectPlan(files, { requireGenerated: true })).toThrow(UsageError);
  });

  it('planProject can be called on facts directly (detection and planning are separate, pure steps)', () => {
    const facts = detectProject(memoryProjectFiles(NODE_APP));
    expect(facts.ecosystems.map((e) => e.ecosystem)).toEqual(['node']);
    expect(planProject(facts, { flags: { port: 4000 } }).decisions.find((d) => d.key === 'port')?.value).toBe(4000);
  });
});

describe('commands', () => {
  it('parses simple command lines into exec form and keeps a shell when one is needed', () => {
    expect(parseCommand('node server.js --port 3000')).toEqual({ form: 'exec', argv: ['node', 'server.js', '--port', '3000'] });
    expect(parseCommand(`python -c 'print("a b")'`)).toEqual({ form: 'exec', argv: ['python', '-c', 'print("a b")'] });
    expect(parseCommand('["node", "a b.js"]')).toEqual({ form: 'exec', argv: ['node', 'a b.js'] });
    expect(parseCommand('gunicorn app:app --bind 0.0.0.0:$PORT')).toEqual({ form: 'shell', script: 'gunicorn app:app --bind 0.0.0.0:$PORT' });
    expect(parseCommand('NODE_ENV=production node a.js').form).toBe('shell');
    expect(toExecArgv(parseCommand('a && b'))).toEqual(['/bin/sh', '-c', 'a && b']);
    expect(toExecArgv(parseCommand('echo $HOME'))).toEqual(['/bin/sh', '-c', 'exec echo $HOME']);
    expect(describeCommand({ form: 'exec', argv: ['node', 'a b.js'] })).toBe('node "a b.js"');
  });
});

describe('runtime versions', () => {
  it('reads Node versions the way version managers write them', () => {
    expect(resolveNodeVersion('v20.11.1', 'x').version).toBe('20.11.1');
    expect(resolveNodeVersion('lts/iron', 'x').version).toBe('20');
    expect(resolveNodeVersion('lts/*', 'x').version).toBe('22');
    expect(resolveNodeVersion('>=16 <21', 'x').version).toBe('20');
  });

  it('reads Python specifiers (PEP 440 and Poetry)', () => {
    expect(resolvePythonVersion('python-3.11.4', 'x').version).toBe('3.11.4');
    expect(resolvePythonVersion('>=3.9', 'x').version).toBe('3.12');
    expect(resolvePythonVersion('>=3.8,<3.11', 'x').version).toBe('3.10');
    expect(resolvePythonVersion('~=3.10.2', 'x').version).toBe('3.10');
    expect(resolvePythonVersion('^3.13', 'x').version).toBe('3.13');
    expect(resolvePythonVersion('==3.11.*', 'x').version).toBe('3.11');
    expect(() => resolvePythonVersion('>=4', 'pyproject.toml:3')).toThrow(/^pyproject\.toml:3: ">=4" allows none of the Python versions pack knows/);
  });
});

describe('the disk reader', () => {
  it('never looks outside the project, whatever a manifest names', () => {
    const files = fixture('node-npm');
    expect(files.read('../node-bun/package.json')).toBeUndefined();
    expect(files.list('..')).toEqual([]);
    expect(files.read('/etc/hostname')).toBeUndefined();
    expect(files.read('package.json')).toContain('"name": "node-npm"');
    expect(files.list('').map((entry) => entry.name)).toEqual(['.gitignore', '.nvmrc', 'package-lock.json', 'package.json', 'server.js']);
  });
});
