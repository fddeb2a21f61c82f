/**
 * One member of a build context, as it will appear in the tar that is sent to the engine.
 * The walker produces these (sorted the way Docker sorts them); the tar encoder turns them
 * into bytes. Keeping the two apart makes the list testable without writing any tar.
 */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo';

export interface ContextEntry {
  /** Slash-separated path relative to the context root, without `./` or a trailing slash. */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mask 0o7777), as Go's tar.FileInfoHeader keeps them. */
  readonly mode: number;
  /** Content length for `file` entries; 0 for every other type (hard links carry no data). */
  readonly size: number;
  /** Modification time in whole seconds since the epoch (Docker truncates to the second). */
  readonly mtime: number;
  /** Symlink target as stored on disk, or the context path of the first name of a hard-linked file. */
  readonly linkname?: string;
  /** Absolute path to read the content from, for `file` entries taken from disk. */
  readonly source?: string;
  /** In-memory content for entries pack generates (an injected Dockerfile). */
  readonly content?: Buffer;
}
