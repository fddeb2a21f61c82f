/**
 * Not a TTY (CI logs, pipes): plain lines on stderr, no timestamps, no redraws, one line per
 * step. Step output is not repeated here; a failing step's last lines are part of its error.
 */
import type { Writable } from 'node:stream';
import type { ArchiveEvent, BuildStartEvent, PackEvent, PushLayerStatus } from '../events.js';
import { formatBytes, formatDuration } from './format-bytes.js';
import { layerStatusText, pushRetryLine, pushStartLine, pushTagDoneLine } from './push-lines.js';
import type { Reporter } from './reporter.js';

export function createPlainReporter(stderr: Writable): Reporter {
  const write = (line: string): void => {
    stderr.write(`${line}\n`);
  };
  // Per layer, the last status printed: a countdown ("Retrying in 5…4…3 seconds") is one line, and
  // a layer being sent says so once, with its size.
  const layers = new Map<string, PushLayerStatus>();
  return {
    emit: (event: PackEvent) => {
      switch (event.type) {
        case 'warning':
          write(`warning: ${event.message}`);
          break;
        case 'build.start':
          write(startLine(event));
          break;
        case 'context.done':
          write(`Sent context: ${event.files} ${event.files === 1 ? 'file' : 'files'}, ${formatBytes(event.bytes)}`);
          break;
        case 'build.step':
          write(`Step ${event.index}/${event.total}: ${event.instruction}`);
          break;
        case 'build.skipped':
          write(`Unchanged since ${event.imageId.slice(7, 19)} (build digest ${event.digest.slice(0, 19)}…): nothing sent${tagNote(event.tags)}`);
          break;
        case 'build.done':
          write(`Built ${event.imageId.slice(7, 19)} in ${formatDuration(event.durationMs)}${tagNote(event.tags)}`);
          break;
        case 'push.start':
          write(pushStartLine(event));
          break;
        case 'push.tag.start':
          layers.clear();
          if (event.attempt > 1) write(`Pushing ${event.reference} again (attempt ${event.attempt} of ${event.attempts})`);
          break;
        case 'push.layer': {
          if (event.status === layers.get(event.layer) || event.status === 'preparing' || event.status === 'waiting') break;
          layers.set(event.layer, event.status);
          if (event.status === 'pushing') write(`  ${event.layer}: Pushing${event.total !== undefined ? ` ${formatBytes(event.total)}` : ''}`);
          else if (event.status === 'retrying') write(`  ${event.layer}: upload failed, the engine retries it (${layerStatusText(event.status, event.detail)})`);
          else write(`  ${event.layer}: ${layerStatusText(event.status, event.detail)}`);
          break;
        }
        case 'push.retry':
          write(pushRetryLine(event));
          break;
        case 'push.tag.done':
          write(pushTagDoneLine(event));
          break;
        case 'push.done':
          write(`Pushed ${event.pushed.length} ${event.pushed.length === 1 ? 'tag' : 'tags'} in ${formatDuration(event.durationMs)}`);
          break;
        case 'archive.start':
        case 'archive.done':
        case 'verify.done':
        case 'restore.step':
        case 'restore.done':
          write(archiveLine(event));
          break;
        default:
          break;
      }
    },
    close: () => {},
  };
}

function tagNote(tags: readonly string[]): string {
  return tags.length > 0 ? `; tagged ${tags.join(', ')}` : '';
}

/** `Building Dockerfile on unix:///var/run/docker.sock`, plus why that engine when it was not the default. */
export function startLine(event: BuildStartEvent): string {
  const why = event.engineSource === 'default' ? '' : ` (${event.engineReason})`;
  return `Building ${event.dockerfile} on ${event.engine}${why}`;
}

/** The one line an archive, verify or restore event is told with (plain lines, and above the TTY bars). */
export function archiveLine(event: Exclude<ArchiveEvent, { type: 'archive.progress' }>): string {
  switch (event.type) {
    case 'archive.start':
      return `Archiving ${event.imageId.slice(7, 19)}${event.tags.length > 0 ? ` (${event.tags.join(', ')})` : ''} to ${event.output}${event.gzip ? ' (gzip)' : ''}`;
    case 'archive.done':
      return `Wrote ${event.output}: ${formatBytes(event.bytes)} in ${formatDuration(event.durationMs)}; archive digest ${event.manifestDigest}`;
    case 'verify.done':
      return `Verified ${event.archive} in ${formatDuration(event.durationMs)}: ${event.ok ? 'everything holds' : `${event.problems} ${event.problems === 1 ? 'problem' : 'problems'}`}`;
    case 'restore.step':
      return event.message;
    case 'restore.done':
      return `Restored ${event.imageId.slice(7, 19)} in ${formatDuration(event.durationMs)}${tagNote(event.tags)}`;
  }
}
