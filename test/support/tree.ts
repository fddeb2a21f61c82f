/**
 * Writes a file tree for a test: `{ 'a/b.txt': 'text', 'big.bin': 1024, 'empty/': '' }`. A string
 * or Buffer is the content, a number that many zero bytes, a trailing slash an (empty) directory;
 * parent directories are made as needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type TreeFiles = Readonly<Record<string, string | Buffer | number>>;

export function writeTree(root: string, files: TreeFiles): string {
  mkdirSync(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'number' ? Buffer.alloc(content) : content);
  }
  return root;
}
