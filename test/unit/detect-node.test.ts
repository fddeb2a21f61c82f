import { describe, expect, it } from 'vitest';
import { decided, fixture, plan, text, usageError } from '../support/project-plans.js';
import { memoryProjectFiles } from '../../src/detect/project-files.js';


describe('Node.js: package managers and lockfiles', () => {
  it('package-lock.json → npm ci --omit=dev in its own layer, with the reason in the file', () => {
    const p = plan(fixture('node-npm'));
    expect(decided(p, 'packageManager')).toMatchObject({ value: 'npm', source: 'detected', file: 'package-lock.json' });
    expect(decided(p, 'install').value).toBe('npm ci --omit=dev && npm cache clean --force');
    expect(text(p)).toContain('COPY package.json package-lock.json ./\nRUN npm ci --omit=dev && npm cache clean --force\n');
    expect(text(p)).toMatch(/# lockfile → npm ci installs exactly the locked versions.*\(package-lock\.json\)/);
    expect(p.warnings.map((w) => w.code)).not.toContain('no-lockfile');
  });

  it('no lockfile → npm install, and a warning that the image is not reproducible', () => {
    const p = plan(fixture('node-npm-nolock'));
    expect(decided(p, 'lockfile')).toMatchObject({ value: null });
    expect(decided(p, 'install').value).toBe('npm install --omit=dev && npm cache clean --force');
    const warning = p.warnings.find((w) => w.code === 'no-lockfile');
    expect(warning?.message).toMatch(/not reproducible/);
    expect(text(p)).toContain('COPY package.json ./\n');
  });

  it('yarn.lock v1 → Yarn classic with a frozen lockfile', () => {
    const p = plan(fixture('node-yarn-classic'));
    expect(decided(p, 'packageManager')).toMatchObject({ value: 'Yarn (classic)', file: 'yarn.lock' });
    expect(text(p)).toContain('RUN yarn install --frozen-lockfile --production && yarn cache clean');
  });

  it('yarn.lock with __metadata → Yarn Berry; the committed yarnPath release and .yarnrc.yml are copied with the manifests', () => {
    const p = plan(fixture('node-yarn-berry'));
    expect(decided(p, 'packageManager')).toMatchObject({ value: 'Yarn (Berry)', reason: 'package.json "packageManager": "yarn@4.5.0"' });
    expect(text(p)).toContain('COPY package.json yarn.lock .yarnrc.yml ./');
    expect(text(p)).toContain('COPY .yarn/releases/yarn-4.5.0.cjs .yarn/releases/');
    // Yarn 4 with node_modules: production-only install through workspaces focus.
    expect(text(p)).toContain('RUN yarn workspaces focus --all --production');
    expect(text(p)).not.toContain('corepack');
  });

  it('pnpm-lock.yaml → pnpm at the major its lockfile format needs, frozen, and a build stage for scripts.build', () => {
    const p = plan(fixture('node-pnpm'));
    expect(p.generated?.template).toBe('templates/node-build.Dockerfile');
    expect(text(p)).toMatch(/# pnpm-lock\.yaml lockfileVersion 9\.0 → pnpm 9.*\nRUN npm install --global pnpm@9\n/);
    expect(text(p)).toContain('RUN pnpm install --frozen-lockfile --prod');
    expect(text(p)).toContain('RUN pnpm install --frozen-lockfile\n');
    expect(text(p)).toContain('RUN pnpm run build \\\n && find . -name node_modules -type d -prune -exec rm -rf {} +');
    expect(text(p)).toMatch(/COPY --from=deps \/app \.\/\nCOPY --from=build \/app \.\//);
  });

  it('bun.lock → the Bun image, bun install --frozen-lockfile, the bun user', () => {
    const p = plan(fixture('node-bun'));
    expect(decided(p, 'baseImage').value).toBe('oven/bun:1.1.38-slim');
    expect(text(p)).toContain('RUN bun install --frozen-lockfile --production');
    expect(decided(p, 'user').reason).toMatch(/"bun" user/);
  });

  it('two package managers\' lockfiles and no packageManager field: an error listing them and naming the fix', () => {
    const error = usageError(() => plan(fixture('node-two-lockfiles')));
    expect(error.message).toBe('lockfiles of several package managers: package-lock.json, yarn.lock; pack will not guess');
    expect(error.hint).toContain('"packageManager" field in package.json');
    expect(error.hint).toContain('- npm (package-lock.json)');
    expect(error.exitCode).toBe(2);
  });

  it('a packageManager field settles two lockfiles, and says what it was chosen over', () => {
    const files = memoryProjectFiles({
      'package.json': JSON.stringify({ name: 'x', packageManager: 'pnpm@9.12.3', scripts: { start: 'node a.js' } }),
      'package-lock.json': '{}',
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
      'a.js': '',
    });
    const p = plan(files);
    expect(decided(p, 'packageManager')).toMatchObject({ value: 'pnpm', over: ['package-lock.json'] });
    expect(text(p)).toContain('RUN npm install --global pnpm@9.12.3');
  });
});

describe('Node.js: version, start command, port', () => {
  it('.nvmrc beats engines.node, and the plan says what it was chosen over', () => {
    const p = plan(fixture('node-npm'));
    expect(decided(p, 'runtime')).toMatchObject({ value: 'Node.js 20', file: '.nvmrc:1', over: ['package.json engines.node ">=18"'] });
    expect(decided(p, 'baseImage').value).toBe('node:20-bookworm-slim');
  });

  it('.node-version with a full version pins the image tag exactly', () => {
    expect(decided(plan(fixture('node-yarn-classic')), 'baseImage').value).toBe('node:20.11.1-bookworm-slim');
  });

  it('engines.node ranges pick pack\'s default line when allowed, else the newest allowed', () => {
    const withEngines = (range: string): string =>
      String(decided(plan(memoryProjectFiles({ 'package.json': JSON.stringify({ engines: { node: range } }) })), 'runtime').value);
    expect(withEngines('>=18')).toBe('Node.js 22');
    expect(withEngines('^20.11')).toBe('Node.js 20');
    expect(withEngines('18.x || 20.x')).toBe('Node.js 20');
    expect(() => withEngines('>=99')).toThrow(/package\.json:1: ">=99" allows none of the Node\.js lines/);
    expect(() => withEngines('banana')).toThrow(/cannot read "banana" as a version/);
  });

  it('scripts.start "node server.js" runs node directly (PID 1), with the port read from server.js', () => {
    const p = plan(fixture('node-npm'));
    expect(decided(p, 'start')).toMatchObject({ value: 'node server.js', file: 'package.json:6' });
    expect(decided(p, 'port')).toMatchObject({ value: 3000, file: 'server.js:4' });
    expect(text(p)).toContain('ENV PORT=3000\nEXPOSE 3000\n');
    expect(text(p)).toMatch(/CMD \["node", "server\.js"\]\n$/);
  });

  it('"main" starts the app when there is no scripts.start; a literal listen() port is fixed', () => {
    const p = plan(fixture('node-npm-nolock'));
    expect(decided(p, 'start')).toMatchObject({ value: 'node index.js' });
    expect(decided(p, 'port')).toMatchObject({ value: 8080, file: 'index.js:4' });
    expect(text(p)).not.toContain('ENV PORT');
  });

  it('a start script that is not plain node runs through the package manager', () => {
    const p = plan(memoryProjectFiles({ 'package.json': JSON.stringify({ scripts: { start: 'next start' }, dependencies: { next: '15' } }), 'package-lock.json': '{}' }));
    expect(decided(p, 'start')).toMatchObject({ value: 'npm start' });
    expect(decided(p, 'port')).toMatchObject({ value: 3000, reason: 'next reads PORT, default 3000' });
  });

  it('warns when the start script needs a dev dependency the production install leaves out', () => {
    const p = plan(memoryProjectFiles({ 'package.json': JSON.stringify({ scripts: { start: 'nodemon app.js' }, devDependencies: { nodemon: '3' } }), 'package-lock.json': '{}' }));
    expect(p.warnings.find((w) => w.code === 'start-needs-dev-dependency')?.message).toMatch(/nodemon, a devDependency/);
  });

  it('warns about a server bound to localhost', () => {
    const p = plan(memoryProjectFiles({ 'package.json': JSON.stringify({ main: 'a.js' }), 'a.js': "app.listen(3000, '127.0.0.1');\n" }));
    expect(p.warnings.find((w) => w.code === 'loopback-bind')).toMatchObject({ file: 'a.js:1' });
  });

  it('no start command: the Dockerfile says what to fill in, and the plan says what was looked for', () => {
    const p = plan(memoryProjectFiles({ 'package.json': JSON.stringify({ name: 'lib' }) }));
    expect(decided(p, 'start')).toMatchObject({ value: null });
    expect(text(p)).toMatch(/# TODO: no start command was found \(looked for a Procfile, package\.json scripts\.start, "main", server\.js\); set one with --cmd/);
  });

  it('an .npmrc without credentials is copied with the manifests; one with a token is left out with a warning', () => {
    const base = { 'package.json': JSON.stringify({ main: 'a.js' }), 'package-lock.json': '{}', 'a.js': '' };
    expect(text(plan(memoryProjectFiles({ ...base, '.npmrc': 'legacy-peer-deps=true\n' })))).toContain('COPY package.json package-lock.json .npmrc ./');
    const secret = plan(memoryProjectFiles({ ...base, '.npmrc': '//registry.npmjs.org/:_authToken=abc\n' }));
    expect(text(secret)).toContain('COPY package.json package-lock.json ./');
    expect(secret.warnings.map((w) => w.code)).toContain('npmrc-token');
    expect(secret.generated?.dockerignore.split('\n')).toContain('.npmrc');
  });
});

describe('Node.js: workspaces', () => {
  it('root with workspaces and no start: an error listing the runnable members and naming --app', () => {
    const error = usageError(() => plan(fixture('node-workspaces')));
    expect(error.message).toMatch(/package\.json declares workspaces and the root package has no start command/);
    expect(error.hint).toBe('choose with --app PATH, or "app" in pack.json. Candidates:\n  - packages/api\n  - packages/web');
  });

  it('--app names a member: installed from the root lockfile with every member manifest, run from the member', () => {
    const p = plan(fixture('node-workspaces'), { app: 'packages/api' });
    expect(decided(p, 'app')).toMatchObject({ value: 'packages/api', source: 'flag' });
    expect(text(p)).toContain(
      'COPY package.json package-lock.json ./\nCOPY packages/api/package.json packages/api/\nCOPY packages/shared/package.json packages/shared/\nCOPY packages/web/package.json packages/web/\nRUN npm ci --omit=dev',
    );
    expect(text(p)).toContain('WORKDIR /app/packages/api\n');
    expect(decided(p, 'port').value).toBe(3001);
  });

  it('a member with a build script builds through the workspace', () => {
    const p = plan(fixture('node-workspaces'), { app: 'packages/web' });
    expect(text(p)).toContain('RUN npm run build --workspace packages/web \\');
  });
});
