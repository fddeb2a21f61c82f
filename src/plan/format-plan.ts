/**
 * The project plan as plain text for the terminal (`pack plan`, `pack init`): each decision with its
 * reason and what it was chosen over, the warnings, and the Dockerfile `pack build` would use.
 * No colours, no terminal width assumptions, stable for logs and tests.
 */
import type { DecisionKey } from '../detect/facts.js';
import type { PlanDecision } from './decision.js';
import type { ProjectPlan } from './project-plan.js';

const LABELS: Record<DecisionKey, string> = {
  app: 'app',
  ecosystem: 'ecosystem',
  runtime: 'runtime',
  packageManager: 'package manager',
  lockfile: 'lockfile',
  install: 'install',
  build: 'build',
  start: 'start',
  port: 'port',
  baseImage: 'base image',
  user: 'user',
};

const WIDTH = 17;

function formatDecision(item: PlanDecision): string[] {
  const label = LABELS[item.key].padEnd(WIDTH);
  const value = item.value === null ? '(none)' : String(item.value);
  const pad = ' '.repeat(WIDTH + 2);
  const source = item.source === 'flag' || item.source === 'config' ? `set by ${item.reason}` : item.reason;
  const lines = [`  ${label}${value}`, `${pad}${source}${item.file && !source.includes(item.file) ? ` (${item.file})` : ''}`];
  for (const over of item.over ?? []) lines.push(`${pad}over: ${over}`);
  return lines;
}

export interface FormatPlanOptions {
  /** Print the Dockerfile section: which file, its images and its text (default true). */
  readonly dockerfile?: boolean;
}

export function formatProjectPlan(plan: ProjectPlan, options: FormatPlanOptions = {}): string {
  const lines: string[] = [];
  lines.push(`Project (${plan.app === '.' ? 'the project root' : plan.app}, ${plan.ecosystem})`);
  for (const item of plan.decisions) lines.push(...formatDecision(item));
  if (plan.warnings.length > 0) {
    lines.push('', 'Warnings');
    for (const warning of plan.warnings) lines.push(`  ! ${warning.message}`);
  }
  if (options.dockerfile ?? true) {
    lines.push('');
    if (plan.dockerfile.source === 'project') {
      lines.push(`Dockerfile: the project's own ${plan.dockerfile.path} (pack build uses it as it is)`);
    } else {
      lines.push(`Dockerfile: generated from ${plan.generated?.template ?? 'a template'} (pack init writes it to ${plan.dockerfile.path})`);
    }
    if (plan.build.labelArgs.length > 0) lines.push(`  label build args: ${plan.build.labelArgs.map((item) => item.arg).join(', ')}`);
    if (plan.build.images.length > 0) lines.push(`  images: ${plan.build.images.join(', ')}`);
    lines.push('');
    for (const line of plan.dockerfile.text.replace(/\n$/, '').split('\n')) lines.push(line === '' ? '  |' : `  | ${line}`);
  }
  return `${lines.join('\n')}\n`;
}
