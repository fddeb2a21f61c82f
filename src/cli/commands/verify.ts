/**
 * `pack verify ARCHIVE`: the report on stdout (text, or one JSON result object with --json), a
 * progress bar on stderr, exit 0 only when everything holds. On failure the first problem is the
 * error line; every problem is in the report above it.
 */
import { resolve } from 'node:path';
import type { VerifyReport } from '../../archive/verify-archive.js';
import { verifyArchive } from '../../archive/verify-archive.js';
import { PackError } from '../../errors.js';
import type { Emit } from '../../progress/events.js';
import { formatBytes } from '../../progress/reporters/format-bytes.js';
import type { CliIO } from '../io.js';
import { commandReporter } from '../reporter.js';

export interface VerifyFlags {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export async function verifyCommand(archive: string, flags: VerifyFlags, io: CliIO): Promise<void> {
  const path = resolve(io.cwd, archive);
  const reporter = commandReporter(io, { json: flags.json === true, quiet: flags.quiet === true });
  let report: VerifyReport;
  try {
    report = await verifyWithProgress(path, reporter.emit, io.signal);
  } finally {
    reporter.close();
  }
  if (flags.json === true) io.stdout.write(`${JSON.stringify({ type: 'result', ...resultOf(report) })}\n`);
  else if (flags.quiet !== true || !report.ok) io.stdout.write(formatVerifyReport(report));
  if (!report.ok) throw verificationFailed(report);
}

/** Verifies with `archive.progress` events and a closing `verify.done`. */
export async function verifyWithProgress(path: string, emit: Emit, signal: AbortSignal): Promise<VerifyReport> {
  const started = Date.now();
  const report = await verifyArchive(path, {
    signal,
    onProgress: (bytes, total) => emit({ type: 'archive.progress', operation: 'verify', bytes, totalBytes: total }),
  });
  emit({ type: 'verify.done', archive: path, ok: report.ok, problems: report.problems.length, durationMs: Date.now() - started });
  return report;
}

/** The error a failed verification ends with: the first problem, and how many more. */
export function verificationFailed(report: VerifyReport): PackError {
  const [first, ...rest] = report.problems;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'}, listed above)` : '';
  return new PackError('ARCHIVE_INVALID', `${report.archive}: verification failed: ${first?.message ?? 'unknown problem'}${more}`, {
    hint: report.stopped
      ? 'the archive was rejected without reading further; it is damaged or was made to be unsafe — do not use it'
      : 'the archive is damaged or was modified after it was written; use another copy',
  });
}

/** The report for people: what the archive is, what was checked, what is wrong. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => {
    lines.push(`${label.padEnd(9)} ${text}`);
  };
  row('archive', `${report.archive} (${report.gzip ? `gzip, ${formatBytes(report.fileBytes)}; tar ${formatBytes(report.tarBytes)}` : formatBytes(report.fileBytes)})`);
  const manifest = report.manifest;
  if (manifest !== undefined) {
    row('written', `by pack ${manifest.pack.version} on ${manifest.created}; archive digest ${report.manifestDigest ?? '?'}`);
    const git = manifest.source.git;
    row('source', `${manifest.source.directory}${git !== null ? `, git ${git.commit.slice(0, 12)}${git.dirty ? ' (uncommitted changes)' : ''}${git.remote !== null ? ` ${git.remote}` : ''}` : ''}`);
  }
  if (report.image !== undefined) {
    row('image', `${report.image.id} (${report.image.layout} layout), ${report.image.layers} layer${report.image.layers === 1 ? '' : 's'}, tags ${report.image.repoTags.join(', ') || '(none)'}`);
  }
  for (const check of report.checks) row('ok', check);
  for (const problem of report.problems) row('FAILED', problem.message);
  if (report.stopped) row('', 'reading stopped there: nothing after it was checked');
  row('result', report.ok ? 'OK: every checksum and the image\'s consistency hold' : `FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** The JSON result: the report without the full manifest (its digest identifies it). */
function resultOf(report: VerifyReport): Record<string, unknown> {
  const { manifest, ...rest } = report;
  return {
    ...rest,
    ...(manifest !== undefined
      ? { pack: manifest.pack, created: manifest.created, source: manifest.source, schemaVersion: manifest.schemaVersion }
      : {}),
  };
}
