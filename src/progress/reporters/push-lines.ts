/** Push events as lines for people, shared by the plain and TTY reporters. */
import type { PushLayerStatus, PushRetryEvent, PushStartEvent, PushTagDoneEvent } from '../events.js';
import { formatDuration } from './format-bytes.js';

/** `Pushing 127.0.0.1:5000/app: 1.4.2, sha-abc1234, 1.4, 1, latest (credentials: auths["…"] in …)`. */
export function pushStartLine(event: PushStartEvent): string {
  const byRepository = new Map<string, string[]>();
  for (const reference of event.references) {
    const colon = reference.lastIndexOf(':');
    const repository = reference.slice(0, colon);
    byRepository.set(repository, [...(byRepository.get(repository) ?? []), reference.slice(colon + 1)]);
  }
  const what = [...byRepository].map(([repository, tags]) => `${repository}: ${tags.join(', ')}`).join('; ');
  const credentials = event.credentials.map((entry) => (event.credentials.length > 1 ? `${entry.registry}: ${entry.source}` : entry.source)).join('; ');
  return `Pushing ${what} (${credentials})`;
}

export function pushRetryLine(event: PushRetryEvent): string {
  return `Push of ${event.reference} failed (${event.reason}); trying again in ${formatDuration(event.delayMs)} (attempt ${event.attempt + 1} of ${event.attempts})`;
}

const CONFIRMED: Readonly<Record<string, string>> = {
  registry: 'confirmed by the registry',
  'engine-distribution': 'confirmed by the registry, asked through the engine',
  'repo-digests': "confirmed by the engine's record",
};

export function pushTagDoneLine(event: PushTagDoneEvent): string {
  return `Pushed ${event.reference}  ${event.pinned}  (${CONFIRMED[event.confirmedBy] ?? event.confirmedBy}, ${formatDuration(event.durationMs)})`;
}

/** The engine's words for a layer status. */
export function layerStatusText(status: PushLayerStatus, detail?: string): string {
  switch (status) {
    case 'preparing':
      return 'Preparing';
    case 'waiting':
      return 'Waiting';
    case 'pushing':
      return 'Pushing';
    case 'pushed':
      return 'Pushed';
    case 'exists':
      return 'Layer already exists';
    case 'mounted':
    case 'retrying':
      return detail ?? status;
  }
}
