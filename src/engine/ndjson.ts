/**
 * The engine answers /build, /images/create and /images/push with newline-delimited JSON, one
 * message per line, in chunks that split lines (and multi-byte characters) anywhere. This reader
 * yields each message as soon as its line is complete and keeps only the unfinished tail in memory.
 */
import { StringDecoder } from 'node:string_decoder';
import { PackError } from '../errors.js';

/** One message of a JSON progress stream (moby pkg/jsonmessage.JSONMessage). */
export interface JsonMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
  readonly id?: string;
  readonly aux?: Record<string, unknown>;
  readonly error?: string;
  readonly errorDetail?: { readonly code?: number; readonly message?: string };
  readonly [key: string]: unknown;
}

export async function* readNdjson(source: AsyncIterable<Buffer | string>): AsyncGenerator<JsonMessage> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNumber = 0;
  const parse = (line: string): JsonMessage | undefined => {
    lineNumber += 1;
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new PackError('ENGINE_BAD_STREAM', `the engine sent a line that is not JSON (line ${lineNumber}): ${truncate(text)}`, {
        cause: error,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PackError('ENGINE_BAD_STREAM', `the engine sent a JSON value that is not an object (line ${lineNumber}): ${truncate(text)}`);
    }
    return value as JsonMessage;
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const message = parse(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (message !== undefined) yield message;
    }
  }
  pending += decoder.end();
  // The last message may lack its newline.
  const last = parse(pending);
  if (last !== undefined) yield last;
}

/** The engine's error inside a stream: `errorDetail.message` when present, else `error`. */
export function messageError(message: JsonMessage): string | undefined {
  const detail = message.errorDetail?.message;
  if (typeof detail === 'string' && detail !== '') return detail;
  if (typeof message.error === 'string' && message.error !== '') return message.error;
  return undefined;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
