/**
 * Reading the engine's /images/{name}/push stream for one tag (moby distribution/push_v2.go and
 * pkg/progress), line by line:
 *   {"status":"The push refers to repository [127.0.0.1:5000/app]"}
 *   {"status":"Preparing","id":"93a8f9c53f0f"}            also Waiting
 *   {"status":"Pushing","progressDetail":{"current":524800,"total":200000000},"id":"93a8f9c53f0f"}
 *   {"status":"Pushed","id":"…"}                          or "Layer already exists", "Mounted from library/x"
 *   {"status":"Retrying in 5 seconds","id":"…"}           the engine's own upload retries (5 attempts, 5 s steps)
 *   {"status":"1.4.2: digest: sha256:… size: 741"}
 *   {"aux":{"Tag":"1.4.2","Digest":"sha256:…","Size":741}}
 *   {"errorDetail":{"message":"…"},"error":"…"}           a failure, inside the 200 response
 * The digest comes from `aux` (the status line is the fallback for engines that omit it). A stream
 * that ends without error but without a digest is not a success.
 */
import type { JsonMessage } from '../engine/ndjson.js';
import { messageError } from '../engine/ndjson.js';
import type { Emit, PushLayerStatus } from '../progress/events.js';
import { PushAttemptError, classifyPushFailure } from './push-errors.js';

export interface PushStreamResult {
  readonly digest: string;
  /** Manifest size in bytes, when reported. */
  readonly size?: number;
  /** Layers the registry received now, had already, or mounted from another repository. */
  readonly layers: { readonly pushed: number; readonly existed: number; readonly mounted: number };
  /** Bytes the engine reported sending (the largest `current` seen per layer). */
  readonly bytesSent: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const STATUS_DIGEST = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/;

export async function interpretPushStream(messages: AsyncIterable<JsonMessage>, reference: string, tag: string, emit: Emit): Promise<PushStreamResult> {
  let digest: string | undefined;
  let size: number | undefined;
  const final = new Map<string, PushLayerStatus>();
  const sent = new Map<string, number>();
  for await (const message of messages) {
    const error = messageError(message);
    if (error !== undefined) throw new PushAttemptError(reference, error, classifyPushFailure(error));

    const aux = message.aux;
    if (aux !== undefined && typeof aux['Digest'] === 'string' && DIGEST.test(aux['Digest'])) {
      // One push call pushes one tag, so the aux is ours; a different Tag would be an engine bug worth failing on.
      if (typeof aux['Tag'] === 'string' && aux['Tag'] !== tag) {
        throw new PushAttemptError(reference, `the engine reported a digest for tag ${aux['Tag']}, not ${tag}`, 'permanent');
      }
      digest = aux['Digest'];
      if (typeof aux['Size'] === 'number') size = aux['Size'];
      continue;
    }
    const status = message.status;
    if (typeof status !== 'string') continue;
    const summary = STATUS_DIGEST.exec(status);
    if (summary !== null) {
      if (summary[1] === tag) {
        digest ??= summary[2];
        size ??= Number(summary[3]);
      }
      continue;
    }
    const id = message.id;
    if (typeof id !== 'string' || id === '') continue;
    const kind = layerStatus(status);
    if (kind === undefined) continue;
    if (kind === 'pushing') {
      const current = message.progressDetail?.current;
      const total = message.progressDetail?.total;
      if (typeof current === 'number') sent.set(id, Math.max(sent.get(id) ?? 0, current));
      emit({
        type: 'push.layer',
        reference,
        layer: id,
        status: kind,
        ...(typeof current === 'number' ? { current } : {}),
        ...(typeof total === 'number' && total > 0 ? { total } : {}),
      });
      continue;
    }
    final.set(id, kind);
    const detail = kind === 'mounted' || kind === 'retrying' ? status : undefined;
    emit({ type: 'push.layer', reference, layer: id, status: kind, ...(detail !== undefined ? { detail } : {}) });
  }
  if (digest === undefined) {
    // The engine closed the stream without an error and without a digest: nothing says the tag landed.
    throw new PushAttemptError(reference, 'the engine ended the push without reporting a manifest digest', 'transient');
  }
  const count = (wanted: PushLayerStatus): number => [...final.values()].filter((kind) => kind === wanted).length;
  return {
    digest,
    ...(size !== undefined ? { size } : {}),
    layers: { pushed: count('pushed'), existed: count('exists'), mounted: count('mounted') },
    bytesSent: [...sent.values()].reduce((a, b) => a + b, 0),
  };
}

function layerStatus(status: string): PushLayerStatus | undefined {
  if (status === 'Preparing') return 'preparing';
  if (status === 'Waiting') return 'waiting';
  if (status === 'Pushing') return 'pushing';
  if (status === 'Pushed') return 'pushed';
  if (status === 'Layer already exists') return 'exists';
  if (status.startsWith('Mounted from ')) return 'mounted';
  if (status.startsWith('Retrying in ')) return 'retrying';
  return undefined;
}
