import { describe, expect, it } from 'vitest';
import { interpretBuildStream } from '../../src/engine/build-output.js';
import { BuildStepError } from '../../src/engine/engine-errors.js';
import type { JsonMessage } from '../../src/engine/ndjson.js';
import type { PackEvent } from '../../src/progress/events.js';

async function* from(messages: JsonMessage[]): AsyncGenerator<JsonMessage> {
  yield* messages;
}

const ID = `sha256:${'e1'.repeat(32)}`;

// Recorded from Docker 20.10 (API 1.41, classic builder).
const success: JsonMessage[] = [
  { stream: 'Step 1/3 : FROM busybox:local' },
  { stream: '\n' },
  { stream: ' ---> 37372e3364a6\n' },
  { stream: 'Step 2/3 : RUN echo hello && echo two' },
  { stream: '\n' },
  { stream: ' ---> Running in e8a653a9b3de\n' },
  { stream: 'hello\ntw' },
  { stream: 'o\n' },
  { stream: 'Removing intermediate container e8a653a9b3de\n' },
  { stream: ' ---> e1d271e4dd17\n' },
  { stream: 'Step 3/3 : LABEL a=b' },
  { stream: '\n' },
  { stream: ' ---> Using cache\n' },
  { stream: ' ---> 013dc8b8fef0\n' },
  { aux: { ID } },
  { stream: 'Successfully built 013dc8b8fef0\n' },
  { stream: 'Successfully tagged probe:1\n' },
];

describe('interpretBuildStream', () => {
  it('turns a successful stream into step, output and done events and the image ID', async () => {
    const events: PackEvent[] = [];
    const result = await interpretBuildStream(from(success), (e) => events.push(e));
    expect(result).toEqual({ imageId: ID, steps: 3, cachedSteps: 1 });
    expect(events).toEqual([
      { type: 'build.step', index: 1, total: 3, instruction: 'FROM busybox:local' },
      { type: 'build.step.done', index: 1, cached: false },
      { type: 'build.step', index: 2, total: 3, instruction: 'RUN echo hello && echo two' },
      { type: 'build.output', step: 2, text: 'hello' },
      { type: 'build.output', step: 2, text: 'two' },
      { type: 'build.step.done', index: 2, cached: false },
      { type: 'build.step', index: 3, total: 3, instruction: 'LABEL a=b' },
      { type: 'build.step.done', index: 3, cached: true },
    ]);
  });

  it('fails on errorDetail inside the stream with the step, its last lines and the exit status', async () => {
    const failing: JsonMessage[] = [
      { stream: 'Step 1/2 : FROM busybox:local' },
      { stream: '\n ---> 37372e3364a6\n' },
      { stream: 'Step 2/2 : RUN echo out; exit 3\n' },
      { stream: ' ---> Running in 0baf30fbffd0\n' },
      { stream: 'out\n' },
      { stream: '\u001b[91merr\n' },
      { stream: '\u001b[0mRemoving intermediate container 0baf30fbffd0\n' },
      {
        errorDetail: { code: 3, message: "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3" },
        error: "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3",
      },
    ];
    const failure = interpretBuildStream(from(failing), () => {});
    await expect(failure).rejects.toBeInstanceOf(BuildStepError);
    await expect(failure).rejects.toMatchObject({
      step: { index: 2, total: 2, instruction: 'RUN echo out; exit 3' },
      lastLines: ['out', 'err'],
      exitStatus: 3,
      message: "step 2/2 failed (RUN echo out; exit 3): The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3",
    });
  });

  it('keeps only the last 20 lines of the failing step', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({ stream: `line ${i}\n` }));
    const failure = interpretBuildStream(from([{ stream: 'Step 1/1 : RUN x\n' }, ...lines, { error: 'boom' }]), () => {});
    await expect(failure).rejects.toMatchObject({ lastLines: Array.from({ length: 20 }, (_, i) => `line ${i + 30}`) });
  });

  it('reads the image ID of a quiet build', async () => {
    expect(await interpretBuildStream(from([{ stream: `${ID}\n` }]), () => {})).toEqual({ imageId: ID, steps: 0, cachedSteps: 0 });
  });

  it('fails when the stream ends without an image ID', async () => {
    await expect(interpretBuildStream(from([{ stream: 'Step 1/1 : FROM x\n' }]), () => {})).rejects.toThrow(/without reporting an image ID/);
  });
});
