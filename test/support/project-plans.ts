/** Shared helpers of the detection and planning tests: fixture projects and plan lookups. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { diskProjectFiles, type ProjectFiles } from '../../src/detect/project-files.js';
import { UsageError } from '../../src/errors.js';
import type { PlanDecision } from '../../src/plan/decision.js';
import { createProjectPlan, type ProjectPlan } from '../../src/plan/project-plan.js';
import type { PlanFlags } from '../../src/plan/settings.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fixture project under test/fixtures, read from disk. */
export const fixture = (name: string): ProjectFiles => diskProjectFiles(join(FIXTURES, name));

export const plan = (files: ProjectFiles, flags: PlanFlags = {}): ProjectPlan => createProjectPlan(files, { flags }).plan;

/** The decision for `key`; fails the test when the plan has none. */
export const decided = (p: ProjectPlan, key: PlanDecision['key']): PlanDecision => {
  const found = p.decisions.find((d) => d.key === key);
  if (!found) throw new Error(`no ${key} decision`);
  return found;
};

/** The generated Dockerfile's text ('' when the project brings its own). */
export const text = (p: ProjectPlan): string => p.generated?.text ?? '';

/** The usage error `run` throws (the test fails if it throws nothing or something else). */
export function usageError(run: () => unknown): UsageError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UsageError);
  return caught as UsageError;
}
