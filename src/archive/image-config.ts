/**
 * What pack reads from an image config (the JSON whose sha256 is the image ID; OCI image-spec
 * config.md, which Docker's own format matches for these keys): platform, creation time, the
 * layer diff IDs, history and labels.
 */
import type { HistoryEntry } from './archive-manifest.js';
import { asObject } from './saved-members.js';

export interface ImageConfigFacts {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string | null;
  readonly created: string | null;
  readonly diffIds: readonly string[];
  readonly history: readonly HistoryEntry[];
  readonly labels: Readonly<Record<string, string>>;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The facts, or a sentence saying what is wrong with the document. */
export function readImageConfig(value: unknown): ImageConfigFacts | string {
  const config = asObject(value);
  if (config === undefined) return 'is not a JSON object';
  const rootfs = asObject(config['rootfs']);
  const diffIds = rootfs?.['diff_ids'];
  if (!Array.isArray(diffIds) || !diffIds.every((id) => typeof id === 'string' && DIGEST.test(id))) {
    return 'has no rootfs.diff_ids list of sha256 digests';
  }
  const history = Array.isArray(config['history']) ? config['history'] : [];
  const labels = asObject(asObject(config['config'])?.['Labels']) ?? {};
  const text = (key: string): string | null => (typeof config[key] === 'string' ? (config[key] as string) : null);
  return {
    os: text('os') ?? 'unknown',
    architecture: text('architecture') ?? 'unknown',
    variant: text('variant'),
    created: text('created'),
    diffIds: diffIds as string[],
    history: history.map((entry) => {
      const item = asObject(entry) ?? {};
      return { createdBy: typeof item['created_by'] === 'string' ? item['created_by'] : '', emptyLayer: item['empty_layer'] === true };
    }),
    labels: Object.fromEntries(Object.entries(labels).filter((pair): pair is [string, string] => typeof pair[1] === 'string')),
  };
}

/** For each diff ID, the history entry that made it (history lists empty layers too). */
export function layerCommands(config: Pick<ImageConfigFacts, 'diffIds' | 'history'>): string[] {
  const commands = config.history.filter((entry) => !entry.emptyLayer).map((entry) => entry.createdBy);
  return config.diffIds.map((_, i) => commands[i] ?? '');
}
