import { describe, expect, it } from 'vitest';
import type { PackEvent } from '../../src/progress/events.js';
import { chooseReporter } from '../../src/progress/reporters/choose-reporter.js';
import { createJsonReporter } from '../../src/progress/reporters/json-reporter.js';
import { createPlainReporter } from '../../src/progress/reporters/plain-reporter.js';
import { createTtyReporter } from '../../src/progress/reporters/tty-reporter.js';
import { CaptureStream } from '../support/capture-stream.js';


const ID = `sha256:${'ab'.repeat(32)}`;
const events: PackEvent[] = [
  { type: 'build.start', engine: 'unix:///var/run/docker.sock', engineReason: 'DOCKER_HOST=unix:///var/run/docker.sock', engineSource: 'DOCKER_HOST', dockerfile: 'Dockerfile', tags: ['app:1'] },
  { type: 'context.progress', files: 1, bytes: 1024, totalBytes: 4096 },
  { type: 'context.done', files: 3, bytes: 4096, sha256: 'f'.repeat(64) },
  { type: 'build.step', index: 1, total: 2, instruction: 'FROM busybox:local' },
  { type: 'build.step.done', index: 1, cached: false },
  { type: 'build.step', index: 2, total: 2, instruction: 'RUN echo hi' },
  { type: 'build.output', step: 2, text: 'hi' },
  { type: 'build.step.done', index: 2, cached: false },
  { type: 'build.done', imageId: ID, tags: ['app:1'], durationMs: 3200 },
];

describe('plain reporter', () => {
  it('writes one timestamp-free line per step and a summary, without the step output', () => {
    const err = new CaptureStream();
    const reporter = createPlainReporter(err);
    events.forEach(reporter.emit);
    reporter.close();
    expect(err.text).toBe(
      [
        'Building Dockerfile on unix:///var/run/docker.sock (DOCKER_HOST=unix:///var/run/docker.sock)',
        'Sent context: 3 files, 4.1 kB',
        'Step 1/2: FROM busybox:local',
        'Step 2/2: RUN echo hi',
        'Built abababababab in 3.2s; tagged app:1',
        '',
      ].join('\n'),
    );
  });

  it('names why an engine was chosen unless it is the default socket', () => {
    const err = new CaptureStream();
    createPlainReporter(err).emit({ type: 'build.start', engine: 'unix:///var/run/docker.sock', engineReason: 'the default socket', engineSource: 'default', dockerfile: 'Dockerfile', tags: [] });
    expect(err.text).toBe('Building Dockerfile on unix:///var/run/docker.sock\n');
  });

  it('says that an unchanged build was skipped', () => {
    const err = new CaptureStream();
    createPlainReporter(err).emit({ type: 'build.skipped', imageId: ID, digest: `sha256:${'c'.repeat(64)}`, tags: ['a:1', 'a:2'] });
    expect(err.text).toBe(`Unchanged since abababababab (build digest sha256:cccccccccccc…): nothing sent; tagged a:1, a:2\n`);
  });
});

describe('json reporter', () => {
  it('writes each event as one JSON line', () => {
    const out = new CaptureStream();
    const reporter = createJsonReporter(out);
    events.forEach(reporter.emit);
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(events.length);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(events);
  });
});

describe('tty reporter', () => {
  it('draws the upload and step bars and the step output below them', async () => {
    const err = new CaptureStream();
    err.isTTY = true;
    const reporter = createTtyReporter(err);
    events.slice(0, 7).forEach(reporter.emit);
    // cli-progress redraws on a 10 fps timer.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const frame = err.text;
    reporter.emit({ type: 'build.done', imageId: ID, tags: ['app:1'], durationMs: 3200 });
    reporter.close();
    expect(frame).toMatch(/RUN echo hi\u001b\[0K\n.*  │ hi/s);
    // The bars give way to the summary line.
    expect(err.text.endsWith('Built abababababab in 3.2s; tagged app:1\n')).toBe(true);
    expect(err.text).toContain('Context  [');
    expect(err.text).toContain('4.1 kB / 4.1 kB');
    expect(err.text).toMatch(/Step 2\/2 \[[^\]]*\] RUN echo hi/);
    expect(err.text).toContain('  │ hi');
    expect(err.text).toContain('Building Dockerfile on unix:///var/run/docker.sock');
  });
});

describe('chooseReporter', () => {
  it('prefers --json, then --quiet, then the terminal, then plain lines', () => {
    const out = new CaptureStream();
    const err = new CaptureStream();
    const step: PackEvent = { type: 'build.step', index: 1, total: 1, instruction: 'FROM x' };
    chooseReporter({ json: true, quiet: true, stdout: out, stderr: err, interactive: true }).emit(step);
    expect(out.text).toBe(`${JSON.stringify(step)}\n`);
    chooseReporter({ json: false, quiet: true, stdout: out, stderr: err, interactive: false }).emit(step);
    expect(err.text).toBe('');
    chooseReporter({ json: false, quiet: false, stdout: out, stderr: err, interactive: false }).emit(step);
    expect(err.text).toBe('Step 1/1: FROM x\n');
  });
});
