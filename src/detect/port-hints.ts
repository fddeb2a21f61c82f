/**
 * Reading the port out of an entry file. Only a few unambiguous shapes are recognised (an env
 * variable with a numeric fallback, a literal `listen(3000)`, `port=5000`), each reported with its
 * line so the user can check it. A server bound to 127.0.0.1/localhost is flagged: inside a container
 * it is unreachable from outside, the most common "it works locally" surprise.
 */
import type { FactWarning, PortFact } from './facts.js';

export type SourceLanguage = 'js' | 'python' | 'go' | 'rust' | 'ruby';

interface Rule {
  readonly pattern: RegExp;
  /** `env`: group 1 is the variable, group 2 the fallback. `fixed`: group 1 is the port. */
  readonly kind: 'env' | 'fixed';
  readonly describe: string;
}

const RULES: Record<SourceLanguage, readonly Rule[]> = {
  js: [
    { pattern: /process\.env\.([A-Z_]*PORT)\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})\b/, kind: 'env', describe: 'reads $NAME, falling back to N' },
    { pattern: /\.listen\(\s*(\d{2,5})\b/, kind: 'fixed', describe: 'listens on N' },
    { pattern: /\bport\s*[:=]\s*(\d{2,5})\b/i, kind: 'fixed', describe: 'sets port N' },
  ],
  python: [
    { pattern: /(?:os\.environ\.get|os\.getenv)\(\s*['"]([A-Z_]*PORT)['"]\s*,\s*['"]?(\d{2,5})\b/, kind: 'env', describe: 'reads $NAME, falling back to N' },
    { pattern: /\bport\s*=\s*(\d{2,5})\b/, kind: 'fixed', describe: 'sets port=N' },
  ],
  go: [
    { pattern: /"[\w.-]*:(\d{2,5})"/, kind: 'fixed', describe: 'listens on :N' },
  ],
  rust: [
    { pattern: /"(?:0\.0\.0\.0|\[::\]|127\.0\.0\.1|localhost):(\d{2,5})"/, kind: 'fixed', describe: 'binds port N' },
    { pattern: /\(\s*\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\]\s*,\s*(\d{2,5})\s*\)/, kind: 'fixed', describe: 'binds port N' },
    { pattern: /\(\s*"[\d.:a-z]+"\s*,\s*(\d{2,5})\s*\)/, kind: 'fixed', describe: 'binds port N' },
  ],
  ruby: [
    { pattern: /ENV\.fetch\(\s*['"]([A-Z_]*PORT)['"]\s*(?:,\s*|\)\s*\{\s*)['"]?(\d{2,5})\b/, kind: 'env', describe: 'reads $NAME, falling back to N' },
    { pattern: /set\s+:port\s*,\s*(\d{2,5})\b/, kind: 'fixed', describe: 'sets port N' },
  ],
};

const LOOPBACK = /['"](?:127\.0\.0\.1|localhost)(?::\d+)?['"]/;

export interface PortScan {
  readonly port?: PortFact;
  readonly warnings: readonly FactWarning[];
}

function isComment(line: string, language: SourceLanguage): boolean {
  const trimmed = line.trimStart();
  return language === 'python' || language === 'ruby' ? trimmed.startsWith('#') : trimmed.startsWith('//') || trimmed.startsWith('*');
}

export function scanPort(path: string, text: string, language: SourceLanguage): PortScan {
  const lines = text.split('\n');
  const warnings: FactWarning[] = [];
  let port: PortFact | undefined;
  for (const rule of RULES[language]) {
    for (let i = 0; i < lines.length && !port; i += 1) {
      const line = lines[i] as string;
      if (isComment(line, language)) continue;
      const match = rule.pattern.exec(line);
      if (!match) continue;
      const file = `${path}:${i + 1}`;
      if (rule.kind === 'env') {
        const name = match[1] as string;
        const value = Number(match[2]);
        port = { value, reason: `${path} ${rule.describe.replace('NAME', name).replace('N', String(value))}`, file, via: { kind: 'env', name } };
      } else {
        const value = Number(match[1]);
        port = { value, reason: `${path} ${rule.describe.replace('N', String(value))}`, file, via: { kind: 'fixed' } };
      }
    }
    if (port) break;
  }
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (isComment(line, language) || !LOOPBACK.test(line)) continue;
    if (!/listen|bind|run\(|host|serve|addr/i.test(line)) continue;
    warnings.push({
      code: 'loopback-bind',
      message: `${path}:${i + 1} binds to 127.0.0.1/localhost: unreachable from outside the container; bind 0.0.0.0`,
      file: `${path}:${i + 1}`,
    });
    break;
  }
  return port ? { port, warnings } : { warnings };
}
