/**
 * Every fixture project (test/fixtures/<ecosystem>-<variant>) through the whole pipeline: the
 * generated Dockerfile passes dockerfile-utils with no errors or warnings and has the properties
 * that make it cache-friendly and safe, asserted on its instructions (no snapshots).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diskProjectFiles } from '../../src/detect/project-files.js';
import { dockerfileInstructions, type Instruction } from '../../src/dockerfile/instructions.js';
import { templateMarkers } from '../../src/dockerfile/render.js';
import { listDockerfileTemplates, loadTemplate } from '../../src/dockerfile/templates.js';
import { lintDockerfile } from '../../src/dockerfile/validate.js';
import { createProjectPlan, OCI_LABEL_ARGS, type ProjectPlan } from '../../src/plan/project-plan.js';
import type { PlanFlags } from '../../src/plan/settings.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function plan(name: string, flags: PlanFlags = {}): ProjectPlan {
  return createProjectPlan(diskProjectFiles(join(FIXTURES, name)), { flags }).plan;
}

/** Fixtures that need a choice pack will not guess get the override that settles it. */
const CASES: ReadonlyArray<{ name: string; flags?: PlanFlags }> = [
  { name: 'generic' },
  { name: 'go-service' },
  { name: 'go-multi-cmd', flags: { app: 'cmd/api' } },
  { name: 'java-gradle' },
  { name: 'java-maven' },
  { name: 'node-build' },
  { name: 'node-bun' },
  { name: 'node-config' },
  { name: 'node-engine-app', flags: { base: 'node:local' } },
  { name: 'node-engine-build', flags: { base: 'node:local' } },
  { name: 'node-npm' },
  { name: 'node-npm-nolock' },
  { name: 'node-own-dockerfile' },
  { name: 'node-pnpm' },
  { name: 'node-workspaces', flags: { app: 'packages/api' } },
  { name: 'node-workspaces', flags: { app: 'packages/web' } },
  { name: 'node-yarn-berry' },
  { name: 'node-yarn-classic' },
  { name: 'python-conda' },
  { name: 'python-django-dev' },
  { name: 'python-engine-flask', flags: { base: 'python:local' } },
  { name: 'python-main-package' },
  { name: 'python-monorepo', flags: { app: 'services/billing' } },
  { name: 'python-monorepo', flags: { app: 'services/reports' } },
  { name: 'python-pipenv' },
  { name: 'python-pipfile-nolock' },
  { name: 'python-poetry' },
  { name: 'python-procfile', flags: { cmd: 'celery -A tasks worker' } },
  { name: 'python-procfile-web' },
  { name: 'python-pyproject' },
  { name: 'python-requirements' },
  { name: 'python-requirements-dir' },
  { name: 'python-script' },
  { name: 'python-setup-py' },
  { name: 'python-streamlit' },
  { name: 'python-uv' },
  { name: 'ruby-rack' },
  { name: 'ruby-rails' },
  { name: 'rust-app' },
  { name: 'static-site' },
];

/** Fixtures that must stop with a usage error (checked in detect-*.test.ts). */
const AMBIGUOUS = new Set(['go-multi-cmd', 'node-two-lockfiles', 'node-workspaces', 'python-monorepo', 'python-procfile']);

function finalStage(instructions: readonly Instruction[]): Instruction[] {
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

describe('every fixture has a case here', () => {
  it('lists each fixture directory', () => {
    const dirs = readdirSync(FIXTURES, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'dockerignore')
      .map((entry) => entry.name)
      .sort();
    const covered = new Set([...CASES.map((c) => c.name), ...AMBIGUOUS]);
    expect(dirs.filter((dir) => !covered.has(dir))).toEqual([]);
  });
});

describe.each(CASES)('generated Dockerfile for $name $flags', ({ name, flags }) => {
  const result = plan(name, flags);
  const generated = result.generated;
  if (!generated) throw new Error(`${name}: no generated Dockerfile`);
  const text = generated.text;
  const instructions = dockerfileInstructions(text);
  const final = finalStage(instructions);

  it('passes dockerfile-utils with no errors and no warnings (and needs no BuildKit)', () => {
    expect(lintDockerfile(text)).toEqual([]);
  });

  it('pins every base image to a tag (no :latest, no bare names)', () => {
    for (const from of instructions.filter((i) => i.keyword === 'FROM')) {
      const image = from.text.split(/\s+/)[1] as string;
      if (instructions.some((i) => i.keyword === 'FROM' && new RegExp(`\\bAS ${image}$`, 'i').test(i.text))) continue;
      expect(image, from.text).toMatch(/:[\w][\w.-]*$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('copies the dependency manifests and installs them in their own RUN before the code', () => {
    const codeCopy = instructions.findIndex((i) => i.keyword === 'COPY' && /^COPY (\S+\/|\.) (\.|\/\S+)$/.test(i.text));
    expect(codeCopy, 'a COPY of the whole project').toBeGreaterThan(0);
    for (const manifest of generated.copiedFirst) {
      const copy = instructions.findIndex((i) => i.keyword === 'COPY' && !i.text.includes('--from') && i.text.split(/\s+/).slice(1, -1).some((source) => source.replace(/\/$/, '') === manifest));
      expect(copy, `${manifest} copied`).toBeGreaterThanOrEqual(0);
      expect(copy, `${manifest} copied before the code`).toBeLessThan(codeCopy);
      const install = instructions.findIndex((i, index) => index > copy && i.keyword === 'RUN');
      expect(install, `an install RUN after ${manifest}`).toBeGreaterThan(copy);
      expect(install, 'the install runs before the code is copied').toBeLessThan(codeCopy);
    }
  });

  it('runs as a numeric non-root user in the final stage', () => {
    const user = final.filter((i) => i.keyword === 'USER').pop();
    expect(user?.text).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
  });

  it('starts with an exec-form CMD, and EXPOSEs the port the plan decided', () => {
    const cmd = final.filter((i) => i.keyword === 'CMD').pop();
    const argv = JSON.parse((cmd?.text ?? '').replace(/^CMD\s+/, '')) as unknown;
    expect(Array.isArray(argv) && argv.every((word) => typeof word === 'string')).toBe(true);
    const port = result.decisions.find((d) => d.key === 'port');
    const expose = final.filter((i) => i.keyword === 'EXPOSE').map((i) => i.text);
    expect(expose).toEqual(port ? [`EXPOSE ${port.value}`] : []);
  });

  it('declares the OCI label build args after the last RUN of the final stage', () => {
    const lastRun = final.map((i) => i.keyword).lastIndexOf('RUN');
    for (const { arg, label } of OCI_LABEL_ARGS) {
      const declared = final.findIndex((i) => i.text === `ARG ${arg}`);
      expect(declared, arg).toBeGreaterThan(lastRun);
      expect(final.some((i) => i.keyword === 'LABEL' && i.text.includes(`${label}="\${${arg}}"`))).toBe(true);
    }
  });

  it('explains each step: every paragraph of instructions opens with a comment', () => {
    const lines = text.split('\n');
    const paragraphStart = (line: number): number => {
      let index = line - 1;
      while (index > 0 && (lines[index - 1] ?? '').trim() !== '') index -= 1;
      return index;
    };
    const unexplained = instructions.filter((instruction) => !(lines[paragraphStart(instruction.line)] ?? '').startsWith('#'));
    expect(unexplained.map((i) => i.text)).toEqual([]);
    expect(lines[0]).toMatch(/^# Generated by `pack init`/);
  });

  it('is byte-identical when planned again', () => {
    expect(JSON.stringify(plan(name, flags))).toBe(JSON.stringify(result));
  });

  it('writes a .dockerignore that keeps what the Dockerfile copies first', () => {
    const lines = generated.dockerignore.split('\n');
    for (const manifest of generated.copiedFirst) expect(lines).toContain(`!${manifest.replace(/\/$/, '')}`);
    expect(lines).toContain('.git');
    expect(lines).toContain('**/.env');
  });
});

describe('templates', () => {
  it('every template is used by a fixture, and declares the OCI labels itself', () => {
    const used = new Set(CASES.map(({ name, flags }) => plan(name, flags).generated?.template));
    for (const template of listDockerfileTemplates()) {
      expect(used, template).toContain(`templates/${template}`);
      const text = loadTemplate(template);
      for (const { arg } of OCI_LABEL_ARGS) expect(text).toContain(`ARG ${arg}\n`);
      expect(templateMarkers(template, text).length).toBeGreaterThan(0);
    }
  });
});
