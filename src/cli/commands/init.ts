/**
 * `pack init [DIR]`: detect the project, print what was decided and why, and write the generated
 * Dockerfile and .dockerignore. Never overwrites: an existing file that differs is kept, and the
 * unified diff of what `--force` would change is printed instead. Files appear complete or not at
 * all (a temporary file linked into place: `link` fails if the name was taken meanwhile, so even a
 * race cannot clobber a file; `--force` renames over it).
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createTwoFilesPatch } from 'diff';
import { diskProjectFiles } from '../../detect/project-files.js';
import { errnoCode, PackError, UsageError } from '../../errors.js';
import { writeFileAtomically } from '../../output/atomic-file.js';
import { formatProjectPlan } from '../../plan/format-plan.js';
import { createProjectPlan, type ProjectPlan } from '../../plan/project-plan.js';
import { pickPlanFlags, type PlanFlags } from '../../plan/settings.js';
import type { CliIO } from '../io.js';

export interface InitFlags extends PlanFlags {
  readonly force?: boolean;
  readonly json?: boolean;
}

export const INIT_SCHEMA_VERSION = 1;

export type InitAction = 'created' | 'unchanged' | 'kept' | 'overwritten';

export interface InitFileResult {
  /** Relative to the project directory. */
  readonly path: string;
  readonly action: InitAction;
  /** Unified diff from the file on disk to the generated one, when they differ. */
  readonly diff?: string;
}

export interface InitResult {
  readonly schemaVersion: typeof INIT_SCHEMA_VERSION;
  readonly dir: string;
  readonly files: readonly InitFileResult[];
  readonly project: ProjectPlan;
}

async function readExisting(path: string, shown: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new UsageError('INIT_PATH_IS_DIR', `${shown} is a directory`, { hint: 'move it away; pack init writes a file there' });
    throw new PackError('INIT_READ_FAILED', `${shown}: cannot read (${code ?? 'error'})`, { cause: error });
  }
}

/** Writes a new file without ever replacing one: temp file, fsync, link into place. */
async function createExclusively(dest: string, text: string, shown: string): Promise<boolean> {
  const partial = `${dest}.partial-${randomBytes(6).toString('hex')}`;
  const handle = await open(partial, 'wx', 0o666).catch((error: unknown) => {
    throw new PackError('INIT_WRITE_FAILED', `cannot write ${shown} (${errnoCode(error) ?? 'error'})`, { cause: error, hint: 'check the permissions of the project directory' });
  });
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    await link(partial, dest);
    return true;
  } catch (error) {
    await handle.close().catch(() => {});
    if (errnoCode(error) === 'EEXIST') return false;
    throw new PackError('INIT_WRITE_FAILED', `cannot write ${shown} (${errnoCode(error) ?? 'error'})`, { cause: error });
  } finally {
    await unlink(partial).catch(() => {});
  }
}

function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((line) => !line.startsWith('==='))
    .join('\n');
}

async function place(dir: string, path: string, text: string, force: boolean): Promise<InitFileResult> {
  const dest = join(dir, path);
  const existing = await readExisting(dest, path);
  if (existing === undefined) {
    if (await createExclusively(dest, text, path)) return { path, action: 'created' };
    // Created by someone else between the read and the link: treat it like any existing file.
    return place(dir, path, text, force);
  }
  if (existing === text) return { path, action: 'unchanged' };
  const diff = unifiedDiff(path, existing, text);
  if (!force) return { path, action: 'kept', diff };
  await writeFileAtomically(dest, Readable.from([Buffer.from(text, 'utf8')]));
  return { path, action: 'overwritten', diff };
}

export async function runInit(dirArgument: string | undefined, flags: InitFlags, io: CliIO): Promise<InitResult> {
  const dir = resolve(io.cwd, dirArgument ?? '.');
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError('INIT_NO_DIR', `${dirArgument ?? '.'}: not a directory`, { hint: 'give the project folder, e.g. pack init ./my-app' });
  }
  const { plan } = createProjectPlan(diskProjectFiles(dir), { flags: pickPlanFlags(flags as Record<string, unknown>), requireGenerated: true });
  const generated = plan.generated;
  if (!generated) throw new Error('plan without a generated Dockerfile despite requireGenerated');
  const force = flags.force === true;
  const files = [await place(dir, 'Dockerfile', generated.text, force), await place(dir, '.dockerignore', generated.dockerignore, force)];
  const result: InitResult = { schemaVersion: INIT_SCHEMA_VERSION, dir, files, project: plan };
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.stdout.write(formatInit(result));
  }
  return result;
}

const ACTION_TEXT: Record<InitAction, string> = {
  created: 'wrote',
  unchanged: 'unchanged',
  kept: 'kept (it exists; --force would apply the diff below)',
  overwritten: 'overwrote (--force)',
};

export function formatInit(result: InitResult): string {
  const lines = [formatProjectPlan(result.project, { dockerfile: false }).replace(/\n$/, ''), ''];
  for (const file of result.files) lines.push(`${file.path}: ${ACTION_TEXT[file.action]}`);
  for (const file of result.files) {
    if (file.action === 'kept' && file.diff) lines.push('', file.diff.replace(/\n$/, ''));
  }
  return `${lines.join('\n')}\n`;
}
