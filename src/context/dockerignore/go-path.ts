/**
 * The few Go standard-library string functions whose exact behaviour .dockerignore handling depends
 * on. Docker runs them on every pattern and path; Node's look-alikes differ in edge cases
 * (path.posix.normalize keeps trailing slashes, String.prototype.trim strips U+FEFF but not U+0085).
 */

/** Go's path/filepath.Clean on a slash-separated path (Linux). */
export function goClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const parts: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(segment);
  }
  const cleaned = (rooted ? '/' : '') + parts.join('/');
  return cleaned === '' ? '.' : cleaned;
}

/** Go's path/filepath.Dir: everything up to the last slash, cleaned ("file/" → "file", "a" → "."). */
export function goDir(path: string): string {
  const slash = path.lastIndexOf('/');
  return goClean(path.slice(0, slash + 1));
}

/** The code points Go's unicode.IsSpace accepts (what strings.TrimSpace removes). */
const GO_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Go's strings.TrimSpace. */
export function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && GO_SPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && GO_SPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}
