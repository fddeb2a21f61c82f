/**
 * On a terminal: cli-progress bars on stderr (the only cli-progress import in pack).
 *   Context  [██████░░░░]  3.4 MB / 5.0 MB     bytes of the context tar streamed to the engine
 *   Step 3/7 [████░░░░░░]  RUN npm ci         the step the engine is running
 *     │ added 42 packages in 3s               the step's last output lines, below the bars
 *   93a8f9c53f0f [███░░░░░░░] Pushing 61.2 MB / 200.0 MB   one bar per layer while pushing
 *   961297507b16 [██████████] Layer already exists
 * Warnings are printed above the bars (MultiBar.log); when the command ends the bars are erased
 * and the summary line takes their place.
 */
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { PackEvent } from '../events.js';
import { archiveLine, startLine } from './plain-reporter.js';
import { formatBytes, formatDuration } from './format-bytes.js';
import { layerStatusText, pushRetryLine, pushStartLine, pushTagDoneLine } from './push-lines.js';
import type { Reporter } from './reporter.js';

/** Output lines of the running step kept on screen. */
const TAIL_LINES = 5;
const BAR_WIDTH = 24;

type Stream = Writable & { isTTY?: boolean; columns?: number };

export function createTtyReporter(stderr: Stream): Reporter {
  const width = (): number => Math.max(40, (stderr.columns ?? 80) - 1);
  const clip = (text: string): string => (text.length > width() ? `${text.slice(0, width() - 1)}…` : text);
  const multibar = new cliProgress.MultiBar(
    {
      stream: stderr as unknown as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
      linewrap: false,
      barsize: BAR_WIDTH,
      fps: 10,
      format: (options, params, payload: { kind?: string; label?: string; text?: string }) => {
        const done = Math.round(Math.min(1, params.progress) * BAR_WIDTH);
        const bar = (options.barCompleteString ?? '').slice(0, done) + (options.barIncompleteString ?? '').slice(0, BAR_WIDTH - done);
        switch (payload.kind) {
          case 'upload':
            return clip(`Context  [${bar}] ${formatBytes(params.value)}${params.total > 0 ? ` / ${formatBytes(params.total)}` : ''}`);
          case 'step':
            return clip(`${(payload.label ?? '').padEnd(8)} [${bar}] ${payload.text ?? ''}`);
          case 'transfer':
            return clip(`${(payload.label ?? '').padEnd(8)} [${bar}] ${formatBytes(params.value)}${params.total > 0 ? ` / ${formatBytes(params.total)}` : ''}`);
          case 'layer':
            // The status after the bar: on a narrow terminal clipping shortens the words, not the bar.
            return clip(
              `${payload.label ?? ''} [${bar}] ${payload.text ?? ''}${payload.text === 'Pushing' && params.total > 1 ? ` ${formatBytes(params.value)} / ${formatBytes(params.total)}` : ''}`,
            );
          default:
            return clip(`  │ ${payload.text ?? ''}`);
        }
      },
    },
    cliProgress.Presets.shades_classic,
  );
  let upload: cliProgress.SingleBar | undefined;
  /** One bar per archive operation (restore verifies, then loads). */
  const transfers = new Map<string, cliProgress.SingleBar>();
  let stepBar: cliProgress.SingleBar | undefined;
  /** Push: one bar per layer ID (the tags of one image share their layers, so the bars are reused). */
  const layerBars = new Map<string, cliProgress.SingleBar>();
  const tail: cliProgress.SingleBar[] = [];
  const lines: string[] = [];
  let closed = false;
  let summary: string | undefined;

  const clearTail = (): void => {
    lines.length = 0;
    for (const bar of tail) bar.update({ text: '' });
  };

  return {
    emit: (event: PackEvent) => {
      if (closed) return;
      switch (event.type) {
        case 'warning':
          multibar.log(`warning: ${event.message}\n`);
          break;
        case 'build.start':
          multibar.log(`${startLine(event)}\n`);
          break;
        case 'context.progress': {
          upload ??= multibar.create(event.totalBytes ?? 0, 0, { kind: 'upload' });
          if (event.totalBytes !== undefined) upload.setTotal(event.totalBytes);
          upload.update(event.bytes);
          break;
        }
        case 'context.done': {
          upload ??= multibar.create(event.bytes, 0, { kind: 'upload' });
          upload.setTotal(event.bytes);
          upload.update(event.bytes);
          break;
        }
        case 'build.step': {
          stepBar ??= multibar.create(event.total, 0, { kind: 'step' });
          stepBar.setTotal(event.total);
          stepBar.update(event.index - 1, { kind: 'step', label: `Step ${event.index}/${event.total}`, text: event.instruction });
          clearTail();
          break;
        }
        case 'build.step.done':
          stepBar?.update(event.index);
          break;
        case 'build.output': {
          lines.push(event.text);
          if (lines.length > TAIL_LINES) lines.shift();
          while (tail.length < lines.length) tail.push(multibar.create(1, 0, { kind: 'output', text: '' }));
          lines.forEach((text, i) => tail[i]?.update({ text }));
          break;
        }
        case 'build.skipped':
          summary = `Unchanged since ${event.imageId.slice(7, 19)} (build digest ${event.digest.slice(0, 19)}…): nothing sent${tagNote(event.tags)}\n`;
          break;
        case 'build.done':
          summary = `Built ${event.imageId.slice(7, 19)} in ${formatDuration(event.durationMs)}${tagNote(event.tags)}\n`;
          break;
        case 'push.start':
          multibar.log(`${pushStartLine(event)}\n`);
          break;
        case 'push.tag.start':
          multibar.log(`Pushing ${event.reference}${event.attempt > 1 ? ` again (attempt ${event.attempt} of ${event.attempts})` : ''}\n`);
          break;
        case 'push.layer': {
          let bar = layerBars.get(event.layer);
          if (bar === undefined) {
            bar = multibar.create(1, 0, { kind: 'layer', label: event.layer, text: '' });
            layerBars.set(event.layer, bar);
          }
          const text = layerStatusText(event.status, event.detail);
          if (event.status === 'pushing') {
            if (event.total !== undefined) bar.setTotal(event.total);
            bar.update(event.current ?? 0, { text });
          } else if (event.status === 'pushed' || event.status === 'exists' || event.status === 'mounted') {
            bar.update(bar.getTotal(), { text });
          } else if (event.status === 'retrying') {
            bar.update({ text });
          } else {
            bar.update(0, { text });
          }
          break;
        }
        case 'push.retry':
          multibar.log(`${pushRetryLine(event)}\n`);
          break;
        case 'push.tag.done':
          multibar.log(`${pushTagDoneLine(event)}\n`);
          break;
        case 'push.done':
          summary = `${summary ?? ''}Pushed ${event.pushed.length} ${event.pushed.length === 1 ? 'tag' : 'tags'} in ${formatDuration(event.durationMs)}\n`;
          break;
        case 'archive.progress': {
          const label = { write: 'Archive', verify: 'Verify', load: 'Load' }[event.operation];
          let bar = transfers.get(event.operation);
          if (bar === undefined) {
            bar = multibar.create(event.totalBytes ?? 0, 0, { kind: 'transfer', label });
            transfers.set(event.operation, bar);
          }
          // An estimated total may fall short: the bar then follows the bytes.
          if (event.totalBytes !== undefined) bar.setTotal(Math.max(event.totalBytes, event.bytes));
          bar.update(event.bytes);
          break;
        }
        case 'archive.start':
        case 'verify.done':
        case 'restore.step':
          multibar.log(`${archiveLine(event)}\n`);
          break;
        case 'archive.done':
        case 'restore.done':
          summary = `${archiveLine(event)}\n`;
          break;
        default:
          break;
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      // MultiBar.stop() drops lines still waiting in its log buffer (they are written on the next
      // redraw): one last update writes them first.
      multibar.update();
      multibar.stop();
      if (summary !== undefined) stderr.write(summary);
    },
  };
}

function tagNote(tags: readonly string[]): string {
  return tags.length > 0 ? `; tagged ${tags.join(', ')}` : '';
}
