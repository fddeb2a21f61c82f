/**
 * A static site: an index.html and no manifest of any other ecosystem (an index.html next to a
 * package.json is a frontend's source, not the site). Served by an unprivileged nginx.
 */
import type { FactWarning } from './facts.js';
import { isFile, joinPath, type ProjectFiles } from './project-files.js';

export interface StaticFacts {
  readonly ecosystem: 'static';
  readonly root: string;
  readonly markers: readonly string[];
  readonly warnings: readonly FactWarning[];
  readonly ambiguities: readonly [];
}

export function detectStaticSite(files: ProjectFiles, root: string): StaticFacts | undefined {
  const index = joinPath(root, 'index.html');
  if (!isFile(files, index)) return undefined;
  return { ecosystem: 'static', root, markers: [index], warnings: [], ambiguities: [] };
}
