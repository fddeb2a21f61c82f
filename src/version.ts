import { readFileSync } from 'node:fs';

/** pack's own version, read from its package.json (one source of truth). */
export const PACK_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
