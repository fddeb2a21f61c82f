/**
 * Template lookup: `templates/<name>` at the top of the package (shipped with it, see package.json
 * "files"), so each recipe is a file a person can open and read. Reading pack's own files is not
 * project state: the same pack version always reads the same templates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The templates directory: two levels above this module in both src/ and dist/. */
export const TEMPLATES_DIR: string = fileURLToPath(new URL('../../templates/', import.meta.url));

const cache = new Map<string, string>();

/** A template's text by file name, e.g. `node.Dockerfile` or `dockerignore/node.dockerignore`. */
export function loadTemplate(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  if (!/^[a-z0-9-]+(\/[a-z0-9-]+)?\.[A-Za-z]+$/.test(name)) throw new Error(`bad template name ${JSON.stringify(name)}`);
  const text = readFileSync(new URL(name, new URL('../../templates/', import.meta.url)), 'utf8');
  cache.set(name, text);
  return text;
}

/** Every Dockerfile template, sorted (for the tests that check them all). */
export function listDockerfileTemplates(): string[] {
  return readdirSync(TEMPLATES_DIR)
    .filter((name) => name.endsWith('.Dockerfile'))
    .sort();
}
