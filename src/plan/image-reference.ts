/**
 * Validating an image reference given by the user (`--base`, `"base"` in pack.json) before anything
 * runs, with the grammar of github.com/distribution/reference: `[host[:port]/]path[:tag][@digest]`,
 * path components lowercase `[a-z0-9]+([._]|__|-+)[a-z0-9]+...`, tags `[\w][\w.-]{0,127}`.
 */
import { UsageError } from '../errors.js';

const HOST = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`;
const REFERENCE = new RegExp(`^(?:(${HOST})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  readonly text: string;
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImageReference(text: string, origin: string): ImageReference {
  const match = REFERENCE.exec(text);
  if (!match || text.length > 255) {
    throw new UsageError('BAD_IMAGE_REFERENCE', `${origin}: ${JSON.stringify(text)} is not a valid image reference`, {
      hint: 'expected NAME[:TAG][@DIGEST] with a lowercase name, e.g. node:22-bookworm-slim or registry.example.com/base/python:3.12-slim',
    });
  }
  const name = match[1] ? `${match[1]}/${match[2]}` : (match[2] as string);
  return { text, name, ...(match[3] ? { tag: match[3] } : {}), ...(match[4] ? { digest: match[4] } : {}) };
}
