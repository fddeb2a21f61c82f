/**
 * The context part of `pack plan`, for a terminal: totals, what was excluded and by which line,
 * the largest directories and files as small bar charts, and warnings.
 */
import type { ContextReport, SizedPath } from '../../context/report.js';
import type { WhyResult } from '../../context/why.js';
import { formatBytes } from '../../progress/reporters/format-bytes.js';

const BAR_WIDTH = 24;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function bars(items: readonly SizedPath[], unit: 'files' | 'none'): string[] {
  const max = Math.max(1, ...items.map((i) => i.bytes));
  const width = Math.min(40, Math.max(...items.map((i) => i.path.length), 4));
  return items.map((item) => {
    const cells = (item.bytes / max) * BAR_WIDTH;
    const full = Math.floor(cells);
    // Eighth blocks give the small bars some resolution.
    const partial = ' ▏▎▍▌▋▊▉'[Math.round((cells - full) * 8)] ?? '';
    const bar = ('█'.repeat(full) + (full < BAR_WIDTH ? partial : '')).trimEnd().padEnd(BAR_WIDTH);
    const name = item.path.length > width ? `…${item.path.slice(-(width - 1))}` : item.path.padEnd(width);
    const extra = unit === 'files' ? `  ${count(item.files)} file${item.files === 1 ? '' : 's'}` : '';
    return `  ${name}  ${bar}  ${formatBytes(item.bytes).padStart(9)}${extra}`;
  });
}

export function formatContextReport(report: ContextReport, contextDir: string, modeReason: string): string {
  const lines: string[] = [];
  const walker = report.mode === 'buildkit' ? 'BuildKit walker' : 'legacy walker';
  lines.push(`Context     ${contextDir}`);
  lines.push(`Walker      ${walker} — ${modeReason}`);
  lines.push(
    `Ignore file ${report.ignoreFile ? `${report.ignoreFile.name} (${report.ignoreFile.patterns} pattern${report.ignoreFile.patterns === 1 ? '' : 's'})` : 'none'}`,
  );
  lines.push(`Dockerfile  ${report.dockerfile.nameInContext}${report.dockerfile.injected ? ' (injected by pack)' : ''}`);
  const s = report.sent;
  const kinds = [`${count(s.files)} file${s.files === 1 ? '' : 's'}`, `${count(s.dirs)} dir${s.dirs === 1 ? '' : 's'}`];
  if (s.links > 0) kinds.push(`${count(s.links)} link${s.links === 1 ? '' : 's'}`);
  if (s.other > 0) kinds.push(`${count(s.other)} other`);
  lines.push(`Sends       ${kinds.join(', ')} — ${formatBytes(s.bytes)}`);
  const x = report.excluded;
  lines.push(`Excluded    ${count(x.files)} file${x.files === 1 ? '' : 's'} — ${formatBytes(x.bytes)}`);
  for (const e of x.byPattern.slice(0, 10)) {
    lines.push(`  ${e.pattern.padEnd(24)} ${e.where.padEnd(18)} ${count(e.files).padStart(8)} files  ${formatBytes(e.bytes).padStart(9)}`);
  }
  if (report.largestDirs.length > 0) {
    lines.push('', 'Largest directories');
    lines.push(...bars(report.largestDirs, 'files'));
  }
  if (report.largestFiles.length > 0) {
    lines.push('', 'Largest files');
    lines.push(...bars(report.largestFiles, 'none'));
  }
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings');
    for (const w of report.warnings) {
      lines.push(`  ! ${w.message}`);
      if (w.code === 'secret' || w.code === 'big-file' || w.code === 'gitignored' || w.code === 'walker-difference') {
        for (const p of w.paths.slice(0, 10)) lines.push(`      ${p}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatWhy(results: readonly WhyResult[]): string {
  return results.map((r) => `${r.explanation}\n`).join('');
}
