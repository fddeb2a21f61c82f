/**
 * The only way detection looks at a project: a small, synchronous reader over slash-separated paths
 * relative to the project root. Detection takes one of these as an argument, so it never touches
 * process state and tests can describe a whole project as an in-memory record.
 *
 * Listings are sorted bytewise by the reader, so nothing downstream can depend on the order in which
 * the operating system happens to return directory entries.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, PackError, UsageError } from '../errors.js';

export type ProjectEntryKind = 'file' | 'dir';

export interface ProjectEntry {
  readonly name: string;
  readonly kind: ProjectEntryKind;
}

export interface ProjectFiles {
  /** Entries of a directory (`''` is the root), sorted bytewise by name; `[]` when it does not exist. */
  list(dir: string): readonly ProjectEntry[];
  /** A file's UTF-8 text (BOM removed), or undefined when no regular file is there. */
  read(path: string): string | undefined;
}

/** Bytewise comparison (what Docker and git use), not the locale-aware one. */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Joins slash-separated project paths; `''` is the root. */
export function joinPath(dir: string, name: string): string {
  return dir === '' || dir === '.' ? name : `${dir}/${name}`;
}

export function kindOf(files: ProjectFiles, path: string): ProjectEntryKind | undefined {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const name = slash < 0 ? path : path.slice(slash + 1);
  return files.list(dir).find((entry) => entry.name === name)?.kind;
}

export function isFile(files: ProjectFiles, path: string): boolean {
  return kindOf(files, path) === 'file';
}

export function isDir(files: ProjectFiles, path: string): boolean {
  return kindOf(files, path) === 'dir';
}

/** A directory's file names (not subdirectories), sorted. */
export function fileNames(files: ProjectFiles, dir: string): string[] {
  return files
    .list(dir)
    .filter((entry) => entry.kind === 'file')
    .map((entry) => entry.name);
}

/** A directory's subdirectory names, sorted. */
export function dirNames(files: ProjectFiles, dir: string): string[] {
  return files
    .list(dir)
    .filter((entry) => entry.kind === 'dir')
    .map((entry) => entry.name);
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A project described in memory: keys are file paths, values their text. Directories are implied by
 * the paths (an entry ending in `/` declares an empty directory).
 */
export function memoryProjectFiles(record: Readonly<Record<string, string>>): ProjectFiles {
  const contents = new Map<string, string>();
  const dirs = new Map<string, Map<string, ProjectEntryKind>>([['', new Map()]]);
  const addDir = (path: string): void => {
    if (dirs.has(path)) return;
    dirs.set(path, new Map());
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    addDir(parent);
    dirs.get(parent)?.set(slash < 0 ? path : path.slice(slash + 1), 'dir');
  };
  for (const [rawPath, text] of Object.entries(record)) {
    if (rawPath.endsWith('/')) {
      addDir(rawPath.slice(0, -1));
      continue;
    }
    const slash = rawPath.lastIndexOf('/');
    const parent = slash < 0 ? '' : rawPath.slice(0, slash);
    addDir(parent);
    dirs.get(parent)?.set(slash < 0 ? rawPath : rawPath.slice(slash + 1), 'file');
    contents.set(rawPath, stripBom(text));
  }
  return {
    list(dir) {
      const entries = dirs.get(dir === '.' ? '' : dir);
      if (!entries) return [];
      return [...entries]
        .map(([name, kind]) => ({ name, kind }))
        .sort((a, b) => compareBytewise(a.name, b.name));
    },
    read(path) {
      return contents.get(path);
    },
  };
}

/**
 * Reads a project from disk, under `root` (an absolute path the CLI resolved). Symbolic links are
 * followed for reading (a linked manifest is still the manifest). A file that exists but cannot be
 * read is an error naming it: detection must not quietly decide from half the facts.
 */
export function diskProjectFiles(root: string): ProjectFiles {
  const listings = new Map<string, readonly ProjectEntry[]>();
  return {
    list(dir) {
      const key = dir === '.' ? '' : dir;
      if (!insideProject(key)) return [];
      const cached = listings.get(key);
      if (cached) return cached;
      let names: string[];
      try {
        names = readdirSync(join(root, key));
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          listings.set(key, []);
          return [];
        }
        throw unreadable(key === '' ? '.' : key, error);
      }
      const entries: ProjectEntry[] = [];
      for (const name of names.sort(compareBytewise)) {
        let kind: ProjectEntryKind | undefined;
        try {
          const stats = statSync(join(root, key, name));
          kind = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : undefined;
        } catch {
          // A dangling symlink or a file removed meanwhile: not part of what detection can use.
          kind = undefined;
        }
        if (kind) entries.push({ name, kind });
      }
      listings.set(key, entries);
      return entries;
    },
    read(path) {
      if (!insideProject(path)) return undefined;
      try {
        return stripBom(readFileSync(join(root, path), 'utf8'));
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
        throw unreadable(path, error);
      }
    },
  };
}

/**
 * Paths come from manifests (`"main": "../../x"`), which are user data: detection never looks
 * outside the project, whatever a manifest says.
 */
function insideProject(path: string): boolean {
  return !path.startsWith('/') && !path.split('/').includes('..');
}

function unreadable(path: string, error: unknown): PackError {
  const code = errnoCode(error) ?? 'error';
  return new PackError('PROJECT_UNREADABLE', `${path}: cannot read (${code})`, {
    hint: 'check the permissions of that path',
    cause: error,
  });
}

/** A view of `files` rooted at the subdirectory `prefix` (used for `--app PATH`). */
export function scopedProjectFiles(files: ProjectFiles, prefix: string): ProjectFiles {
  if (prefix === '' || prefix === '.') return files;
  return {
    list: (dir) => files.list(joinPath(prefix, dir === '.' ? '' : dir)),
    read: (path) => files.read(joinPath(prefix, path)),
  };
}

/**
 * Normalises a user-given project-relative path (`--app ./api/`, `"app": "api"`): slash-separated,
 * no `./`, no trailing slash, never leaving the project.
 */
export function normaliseProjectPath(input: string, origin: string): string {
  const parts: string[] = [];
  for (const part of input.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new UsageError('BAD_APP_PATH', `${origin}: ${JSON.stringify(input)} leaves the project directory`, {
        hint: 'give a path inside the project, e.g. services/api',
      });
    }
    parts.push(part);
  }
  if (input.startsWith('/')) {
    throw new UsageError('BAD_APP_PATH', `${origin}: ${JSON.stringify(input)} is absolute`, {
      hint: 'give a path relative to the project directory, e.g. services/api',
    });
  }
  return parts.join('/');
}
