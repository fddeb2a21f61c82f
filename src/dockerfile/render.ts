/**
 * A deliberately small, strict template renderer. Templates are real Dockerfiles with `{{name}}`
 * markers; rendering fails loudly rather than produce a Dockerfile with a hole in it:
 *  - a marker whose name has no value, a value no marker uses, or a malformed marker (`{{`, `}}`
 *    that is not part of `{{name}}`) throws;
 *  - values are inserted literally in one pass (never through String.replace patterns, so `$&` or
 *    `$1` in a value stays as written, and a value containing `{{x}}` is not expanded again);
 *  - a marker alone on its line is a block: its value may span several lines, and an empty value
 *    removes the line; an inline marker needs a non-empty, single-line value.
 * After blocks are removed, runs of blank lines are collapsed to one, so optional blocks leave no gaps.
 */

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    message: string,
  ) {
    super(`${template}: ${message}`);
    this.name = 'TemplateError';
  }
}

const MARKER = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;

export type TemplateValues = Readonly<Record<string, string>>;

/** The marker names a template uses, sorted (for tests and for checking recipes). */
export function templateMarkers(name: string, text: string): string[] {
  checkMalformed(name, text);
  return [...new Set([...text.matchAll(MARKER)].map((match) => match[1] as string))].sort();
}

function checkMalformed(name: string, text: string): void {
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const stripped = line.replace(MARKER, '');
    if (stripped.includes('{{') || stripped.includes('}}')) {
      throw new TemplateError(name, `line ${index + 1}: malformed marker in ${JSON.stringify(line.trim())}`);
    }
  });
}

export function renderTemplate(name: string, text: string, values: TemplateValues): string {
  checkMalformed(name, text);
  const used = new Set<string>();
  const valueOf = (marker: string, line: number): string => {
    if (!Object.prototype.hasOwnProperty.call(values, marker)) {
      throw new TemplateError(name, `line ${line}: no value for {{${marker}}}`);
    }
    used.add(marker);
    return values[marker] as string;
  };
  const out: string[] = [];
  text.split('\n').forEach((line, index) => {
    const lineNumber = index + 1;
    const block = /^\s*\{\{\s*([a-z][a-z0-9_]*)\s*\}\}\s*$/.exec(line);
    if (block) {
      const value = valueOf(block[1] as string, lineNumber);
      if (value !== '') out.push(value.replace(/\n+$/, ''));
      return;
    }
    let rendered = '';
    let last = 0;
    for (const match of line.matchAll(MARKER)) {
      const value = valueOf(match[1] as string, lineNumber);
      if (value === '' || value.includes('\n')) {
        throw new TemplateError(
          name,
          `line ${lineNumber}: {{${match[1]}}} is inline, so its value must be one non-empty line (got ${JSON.stringify(value)})`,
        );
      }
      rendered += line.slice(last, match.index) + value;
      last = (match.index ?? 0) + match[0].length;
    }
    out.push(rendered + line.slice(last));
  });
  const unused = Object.keys(values).filter((key) => !used.has(key)).sort();
  if (unused.length > 0) {
    throw new TemplateError(name, `values given for markers the template does not have: ${unused.join(', ')}`);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').replace(/^\n+/, '').replace(/\n*$/, '')}\n`;
}
