/**
 * Reading an ignore file the way moby/patternmatcher/ignorefile.ReadAll does:
 *  - lines split at `\n`, a `\r` before it dropped (bufio.ScanLines);
 *  - a UTF-8 BOM stripped from the first line only;
 *  - a line whose first character is `#` is a comment (not after leading spaces: ` #x` is a pattern);
 *  - surrounding whitespace trimmed (Go's definition), empty lines skipped;
 *  - `!` kept, the rest cleaned (filepath.Clean) and a leading `/` removed, so `./a`, `/a` and
 *    `a/` all mean `a`. A trailing `/` does not restrict a pattern to directories.
 * Line numbers are kept for error messages and `pack plan --why`.
 */
import { goClean, goTrimSpace } from './go-path.js';
import type { PatternLine } from './matcher.js';

/** bufio.Scanner's default limit: a longer line makes ReadAll fail. */
const MAX_LINE_BYTES = 64 * 1024;

export class IgnoreFileError extends Error {
  override name = 'IgnoreFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseIgnoreFile(content: Buffer | string, file: string): PatternLine[] {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const lines: PatternLine[] = [];
  let start = 0;
  let lineNumber = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    lineNumber += 1;
    if (end - start >= MAX_LINE_BYTES) {
      throw new IgnoreFileError(file, lineNumber, `line ${lineNumber} is longer than ${MAX_LINE_BYTES - 1} bytes`);
    }
    let lineEnd = end;
    if (lineEnd > start && bytes[lineEnd - 1] === 0x0d) lineEnd -= 1;
    let lineStart = start;
    if (lineNumber === 1 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) {
      lineStart = Math.min(start + 3, lineEnd);
    }
    start = next;
    let pattern = bytes.toString('utf8', lineStart, lineEnd);
    if (pattern.startsWith('#')) continue;
    pattern = goTrimSpace(pattern);
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    lines.push({ pattern: invert ? `!${pattern}` : pattern, source: { file, line: lineNumber } });
  }
  return lines;
}
