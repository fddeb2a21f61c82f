/**
 * Ruby projects with Bundler. Version: .ruby-version > the Gemfile's `ruby` line > Gemfile.lock's
 * RUBY VERSION > default. Bundler: the version Gemfile.lock was BUNDLED WITH. Start: Procfile >
 * Rails (bin/rails) > config.ru (puma when listed, else rackup) > app.rb / main.rb.
 */
import { execCommand } from './command.js';
import type { Ambiguity, Detected, FactWarning, StartFact } from './facts.js';
import { lineOf } from './manifest-parse.js';
import { scanPort } from './port-hints.js';
import { procfileStart, readProcfile } from './procfile.js';
import { isDir, isFile, joinPath, type ProjectFiles } from './project-files.js';
import { firstValueLine } from './runtime-version.js';

export interface RubyFacts {
  readonly ecosystem: 'ruby';
  readonly root: string;
  readonly markers: readonly string[];
  readonly lockfile: Detected<string | null>;
  readonly rubyVersion?: Detected<string>;
  readonly bundlerVersion?: Detected<string>;
  readonly manifests: readonly string[];
  readonly install: Detected<string>;
  readonly rails: boolean;
  /** Rails asset compilation, when the app has assets to compile. */
  readonly precompile?: Detected<string>;
  readonly start?: StartFact | Ambiguity;
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly Ambiguity[];
}

export function detectRuby(files: ProjectFiles, root: string): RubyFacts | undefined {
  const at = (name: string): string => joinPath(root, name);
  const gemfile = files.read(at('Gemfile'));
  if (gemfile === undefined) return undefined;
  const warnings: FactWarning[] = [];
  const lock = files.read(at('Gemfile.lock'));
  const lockfile: Detected<string | null> = lock !== undefined ? { value: 'Gemfile.lock', reason: 'Gemfile.lock pins every gem', file: at('Gemfile.lock') } : { value: null, reason: 'no Gemfile.lock' };
  if (lock === undefined) warnings.push({ code: 'no-lockfile', message: 'no Gemfile.lock: gem versions are resolved at build time, so the image is not reproducible', file: at('Gemfile') });

  let rubyVersion: Detected<string> | undefined;
  const versionFile = files.read(at('.ruby-version'));
  const fromFile = versionFile === undefined ? undefined : firstValueLine(versionFile);
  const fromGemfile = /^\s*ruby\s+['"]([\d.]+)['"]/m.exec(gemfile)?.[1];
  const fromLock = lock ? /^RUBY VERSION\s*\n\s*ruby\s+([\d.]+)/m.exec(lock)?.[1] : undefined;
  if (fromFile && /^(ruby-)?\d+\.\d+/.test(fromFile.value)) {
    const value = fromFile.value.replace(/^ruby-/, '');
    rubyVersion = { value, reason: `.ruby-version ${JSON.stringify(fromFile.value)}`, file: `${at('.ruby-version')}:${fromFile.line}` };
  } else if (fromGemfile) {
    rubyVersion = { value: fromGemfile, reason: `Gemfile ruby "${fromGemfile}"`, file: `${at('Gemfile')}:${lineOf(gemfile, /^\s*ruby\s/) ?? 1}` };
  } else if (fromLock) {
    rubyVersion = { value: fromLock, reason: `Gemfile.lock RUBY VERSION ${fromLock}`, file: at('Gemfile.lock') };
  }
  const bundled = lock ? /^BUNDLED WITH\s*\n\s*([\d.]+)/m.exec(lock)?.[1] : undefined;
  const bundlerVersion: Detected<string> | undefined = bundled ? { value: bundled, reason: `Gemfile.lock BUNDLED WITH ${bundled}`, file: at('Gemfile.lock') } : undefined;

  // A lock made on a Mac lists only darwin platforms: `bundle install` on Linux then refuses it.
  if (lock) {
    const platforms = /^PLATFORMS\r?\n((?:[ \t]+\S+\r?\n?)+)/m.exec(lock)?.[1]?.trim().split(/\s+/) ?? [];
    if (platforms.length > 0 && !platforms.some((platform) => platform === 'ruby' || platform.includes('linux'))) {
      warnings.push({
        code: 'lock-platforms',
        message: `Gemfile.lock lists only ${platforms.join(', ')}: bundle install on Linux will fail; run \`bundle lock --add-platform x86_64-linux\``,
        file: at('Gemfile.lock'),
      });
    }
  }
  const manifests = lock !== undefined ? ['Gemfile', 'Gemfile.lock'] : ['Gemfile'];
  if (isFile(files, at('.ruby-version')) && /^\s*ruby\s+file:/m.test(gemfile)) manifests.push('.ruby-version');
  // Deployment mode (frozen to the lock) needs a lock; the gem cache is removed in the same layer.
  const install: Detected<string> = lock !== undefined
    ? { value: 'BUNDLE_DEPLOYMENT=1 bundle install && rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache', reason: 'Gemfile.lock → bundle install in deployment mode (frozen to the lock; no development and test gems)' }
    : { value: 'bundle install && rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache', reason: 'Gemfile without a lock → bundle install resolves now (not reproducible)' };

  const rails = isFile(files, at('bin/rails')) && isFile(files, at('config/application.rb'));
  const precompile: Detected<string> | undefined =
    rails && (isDir(files, at('app/assets')) || isDir(files, at('app/javascript')))
      ? { value: 'SECRET_KEY_BASE_DUMMY=1 ./bin/rails assets:precompile', reason: 'Rails app with app/assets → precompile assets at build time (a dummy secret key, as Rails documents)', file: at('app/assets') }
      : undefined;

  const gems = new Set([...gemfile.matchAll(/^\s*gem\s+['"]([\w-]+)['"]/gm)].map((match) => match[1] as string));
  const procfile = readProcfile(files, root);
  let start: StartFact | Ambiguity | undefined = procfile ? procfileStart(procfile, 3000) : undefined;
  if (!start && rails) {
    start = {
      value: execCommand('./bin/rails', 'server', '--binding', '0.0.0.0'),
      reason: 'bin/rails and config/application.rb (Rails) → rails server',
      file: at('config/application.rb'),
      port: { value: 3000, reason: 'rails server reads PORT, default 3000', file: at('bin/rails'), via: { kind: 'env', name: 'PORT' } },
    };
  }
  if (!start && isFile(files, at('config.ru'))) {
    start = gems.has('puma')
      ? { value: execCommand('bundle', 'exec', 'puma', '--bind', 'tcp://0.0.0.0:9292'), reason: 'config.ru with puma in the Gemfile → puma', file: at('config.ru'), port: { value: 9292, reason: 'puma --bind tcp://0.0.0.0:9292', file: at('config.ru'), via: { kind: 'arg', index: 4, format: 'tcp://0.0.0.0:{port}' } } }
      : { value: execCommand('bundle', 'exec', 'rackup', '--host', '0.0.0.0', '--port', '9292'), reason: 'config.ru → rackup', file: at('config.ru'), port: { value: 9292, reason: 'rackup --port 9292', file: at('config.ru'), via: { kind: 'arg', index: 6, format: '{port}' } } };
  }
  if (!start) {
    for (const name of ['app.rb', 'main.rb']) {
      const text = files.read(at(name));
      if (text === undefined) continue;
      const scan = scanPort(at(name), text, 'ruby');
      warnings.push(...scan.warnings);
      const sinatra = gems.has('sinatra') && !scan.port;
      start = {
        value: execCommand('bundle', 'exec', 'ruby', name),
        reason: `${name} → bundle exec ruby ${name}`,
        file: at(name),
        ...(scan.port ? { port: scan.port } : sinatra ? { port: { value: 4567, reason: 'Sinatra listens on 4567 by default', file: at('Gemfile'), via: { kind: 'fixed' } } } : {}),
      };
      if (sinatra) warnings.push({ code: 'loopback-bind', message: `${at(name)}: Sinatra binds localhost by default in development; set :bind, '0.0.0.0' (or APP_ENV=production)`, file: at(name) });
      break;
    }
  }
  return {
    ecosystem: 'ruby',
    root,
    markers: [at('Gemfile')],
    lockfile,
    ...(rubyVersion ? { rubyVersion } : {}),
    ...(bundlerVersion ? { bundlerVersion } : {}),
    manifests,
    install,
    rails,
    ...(precompile ? { precompile } : {}),
    ...(start ? { start } : {}),
    warnings,
    ambiguities: [],
  };
}
