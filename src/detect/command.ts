/**
 * Start commands arrive as text (a Procfile line, `scripts.start`, `--cmd`); the Dockerfile needs the
 * exec form (`CMD ["node", "server.js"]`) so that the app is PID 1 and receives SIGTERM from
 * `docker stop` directly. A command that needs a shell (variables, pipes, `&&`) keeps one, and a single
 * simple command gets `exec` in front so the shell replaces itself with the app.
 */
import type { Command } from './facts.js';

/** Characters that only mean something to a shell; their presence outside quotes means "needs sh". */
const SHELL_SYNTAX = new Set(['$', '`', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', '{', '}', '~', '#', '\n']);

/**
 * Parses a command as the user wrote it. A JSON array of strings is taken as exec form verbatim;
 * otherwise words are split the way sh would split them when no shell syntax is involved, and
 * anything else stays a shell script.
 */
export function parseCommand(text: string): Command {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
        return { form: 'exec', argv: value as string[] };
      }
    } catch {
      // Not JSON: a shell command that starts with `[` (a test), handled below.
    }
  }
  const words = splitWords(trimmed);
  if (words === undefined || words.length === 0 || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
    return { form: 'shell', script: trimmed };
  }
  return { form: 'exec', argv: words };
}

/** Splits into words honouring quotes and backslashes; undefined when shell syntax is present. */
function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
      continue;
    }
    if (char === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j += 1) {
        const c = text[j] as string;
        if (c === '$' || c === '`') return undefined;
        if (c === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1] as string)) {
          j += 1;
          word += text[j];
        } else {
          word += c;
        }
      }
      if (j >= text.length) return undefined;
      inWord = true;
      i = j;
      continue;
    }
    if (char === '\\') {
      if (i + 1 >= text.length || text[i + 1] === '\n') return undefined;
      word += text[i + 1];
      inWord = true;
      i += 1;
      continue;
    }
    // `#` and `~` only mean something at the start of a word; `=` never does (a=b is a word).
    if ((char === '#' || char === '~') && inWord) {
      word += char;
      continue;
    }
    if (SHELL_SYNTAX.has(char)) return undefined;
    word += char;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words;
}

/** True when the script is one simple command, so `exec` can be put in front of it. */
function isSimpleCommand(script: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < script.length; i += 1) {
    const char = script[i] as string;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') i += 1;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if (char === '\\') i += 1;
    else if (';&|\n(){}`'.includes(char)) return false;
  }
  return !/^\s*(exec\s|[A-Za-z_][A-Za-z0-9_]*=)/.test(script);
}

/** The argv for an exec-form CMD. Shell scripts run under /bin/sh (every image with a shell has it). */
export function toExecArgv(command: Command): string[] {
  if (command.form === 'exec') return [...command.argv];
  return ['/bin/sh', '-c', isSimpleCommand(command.script) ? `exec ${command.script}` : command.script];
}

/** How a command reads in prose and reasons: words joined by spaces, quoted when needed. */
export function describeCommand(command: Command): string {
  if (command.form === 'shell') return command.script;
  return command.argv.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(' ');
}

export function execCommand(...argv: string[]): Command {
  return { form: 'exec', argv };
}
