/**
 * Push events as the reporters draw them: plain lines for CI logs (one line per layer outcome, a
 * retry countdown as one line), bars per layer on a TTY (with the log lines above them kept when
 * the command ends quickly), NDJSON with --json.
 */
import { describe, expect, it } from 'vitest';
import type { PackEvent } from '../../src/progress/events.js';
import { createJsonReporter } from '../../src/progress/reporters/json-reporter.js';
import { createPlainReporter } from '../../src/progress/reporters/plain-reporter.js';
import { createTtyReporter } from '../../src/progress/reporters/tty-reporter.js';
import { CaptureStream } from '../support/capture-stream.js';


const REF = '127.0.0.1:5000/team/app:1.4.2';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const events: PackEvent[] = [
  { type: 'push.start', references: [REF, '127.0.0.1:5000/team/app:latest'], engine: 'unix:///var/run/docker.sock', credentials: [{ registry: '127.0.0.1:5000', source: 'auths["127.0.0.1:5000"] in /c/config.json' }] },
  { type: 'push.tag.start', reference: REF, attempt: 1, attempts: 4 },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'preparing' },
  { type: 'push.layer', reference: REF, layer: '961297507b16', status: 'preparing' },
  { type: 'push.layer', reference: REF, layer: '961297507b16', status: 'exists' },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'pushing', current: 524800, total: 200000000 },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'retrying', detail: 'Retrying in 5 seconds' },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'retrying', detail: 'Retrying in 4 seconds' },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'pushing', current: 100000000, total: 200000000 },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'pushed' },
  { type: 'push.retry', reference: REF, attempt: 1, attempts: 4, delayMs: 2000, reason: 'dial tcp 127.0.0.1:5000: connect: connection refused' },
  { type: 'push.tag.start', reference: REF, attempt: 2, attempts: 4 },
  { type: 'push.layer', reference: REF, layer: '93a8f9c53f0f', status: 'exists' },
  { type: 'push.tag.done', reference: REF, digest: DIGEST, pinned: `127.0.0.1:5000/team/app@${DIGEST}`, confirmedBy: 'registry', durationMs: 1500 },
  { type: 'push.done', pushed: [{ reference: REF, digest: DIGEST }], durationMs: 1600 },
];

describe('push events', () => {
  it('plain: one line per layer outcome, the engine countdown once, pack retries and digests', () => {
    const err = new CaptureStream(120);
    const reporter = createPlainReporter(err);
    events.forEach(reporter.emit);
    reporter.close();
    expect(err.text).toBe(
      [
        'Pushing 127.0.0.1:5000/team/app: 1.4.2, latest (auths["127.0.0.1:5000"] in /c/config.json)',
        '  961297507b16: Layer already exists',
        '  93a8f9c53f0f: Pushing 200.0 MB',
        '  93a8f9c53f0f: upload failed, the engine retries it (Retrying in 5 seconds)',
        '  93a8f9c53f0f: Pushing 200.0 MB',
        '  93a8f9c53f0f: Pushed',
        'Push of 127.0.0.1:5000/team/app:1.4.2 failed (dial tcp 127.0.0.1:5000: connect: connection refused); trying again in 2.0s (attempt 2 of 4)',
        'Pushing 127.0.0.1:5000/team/app:1.4.2 again (attempt 2 of 4)',
        '  93a8f9c53f0f: Layer already exists',
        `Pushed ${REF}  127.0.0.1:5000/team/app@${DIGEST}  (confirmed by the registry, 1.5s)`,
        'Pushed 1 tag in 1.6s',
        '',
      ].join('\n'),
    );
  });

  it('TTY: a bar per layer with bytes while pushing; every log line written even when the command ends before a redraw', () => {
    const err = new CaptureStream(120);
    err.isTTY = true;
    const reporter = createTtyReporter(err);
    events.slice(0, 6).forEach(reporter.emit);
    // Let the first frame draw (fps 10).
    const frame = new Promise((resolve) => setTimeout(resolve, 150));
    return frame.then(() => {
      expect(err.text).toMatch(/93a8f9c53f0f \[[░]+\] Pushing 524\.8 kB \/ 200\.0 MB/);
      expect(err.text).toMatch(/961297507b16 \[█+\] Layer already exists/);
      events.slice(6).forEach(reporter.emit);
      reporter.close();
      expect(err.text).toContain('Push of 127.0.0.1:5000/team/app:1.4.2 failed');
      expect(err.text).toContain(`Pushed ${REF}  127.0.0.1:5000/team/app@${DIGEST}`);
      expect(err.text.trimEnd().endsWith('Pushed 1 tag in 1.6s')).toBe(true);
    });
  });

  it('--json: each event as one line', () => {
    const out = new CaptureStream(120);
    const reporter = createJsonReporter(out);
    events.forEach(reporter.emit);
    const lines = out.text.trim().split('\n').map((line) => JSON.parse(line) as PackEvent);
    expect(lines).toEqual(events);
  });
});
