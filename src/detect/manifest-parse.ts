/**
 * Parsing the manifests detection reads (JSON, TOML, YAML). A manifest that does not parse is a
 * usage error naming the file, line and column: pack cannot plan a build from a broken manifest,
 * and the package manager inside the build would fail on it anyway, later and less clearly.
 */
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function invalid(path: string, kind: string, where: { line: number; column: number } | undefined, detail: string): UsageError {
  const position = where ? `:${where.line}:${where.column}` : '';
  return new UsageError('BAD_MANIFEST', `${path}${position}: invalid ${kind} (${detail})`, {
    hint: `fix ${path}; pack reads it to decide how to build the project`,
  });
}

export function parseJsonText(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 reports "... at position N" (Node 20) or "(line L column C)" (newer V8).
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    const position = /position (\d+)/.exec(message);
    const where = lineColumn
      ? { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
      : position
        ? lineAndColumn(text, Number(position[1]))
        : undefined;
    const detail = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw invalid(path, 'JSON', where, detail);
  }
}

/** A JSON manifest that must be an object at the top level. */
export function parseJsonObject(path: string, text: string): JsonObject {
  const value = parseJsonText(path, text);
  if (!isObject(value)) throw invalid(path, 'JSON', undefined, 'the top level must be an object');
  return value;
}

export function parseTomlText(path: string, text: string): JsonObject {
  try {
    return parseToml(text) as JsonObject;
  } catch (error) {
    const e = error as { line?: unknown; column?: unknown; message?: unknown };
    const where = typeof e.line === 'number' && typeof e.column === 'number' ? { line: e.line, column: e.column } : undefined;
    const detail = String(e.message ?? error).split('\n')[0] ?? 'parse error';
    throw invalid(path, 'TOML', where, detail.replace(/^Invalid TOML document: /, ''));
  }
}

export function parseYamlText(path: string, text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    const e = error as { linePos?: Array<{ line: number; col: number }>; message?: unknown };
    const first = e.linePos?.[0];
    const where = first ? { line: first.line, column: first.col } : undefined;
    const detail = (String(e.message ?? error).split('\n')[0] ?? 'parse error').replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(path, 'YAML', where, detail);
  }
}

/** The 1-based line of the first line matching `pattern`, for evidence like `server.js:12`. */
export function lineOf(text: string, pattern: RegExp): number | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (pattern.test(lines[i] ?? '')) return i + 1;
  }
  return undefined;
}

/** Reads a string field, ignoring values of other types (manifests are user data). */
export function stringField(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function objectField(object: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = object?.[key];
  return isObject(value) ? value : undefined;
}

export function stringArrayField(object: JsonObject | undefined, key: string): string[] {
  const value = object?.[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
