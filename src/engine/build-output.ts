/**
 * Reads the classic builder's progress stream (the 200 body of POST /build) into events and a
 * result. What the engine sends (checked on Docker 20.10, API 1.41):
 *
 *   {"stream":"Step 3/5 : RUN echo hi"} {"stream":"\n"}      ← the step line, often split
 *   {"stream":" ---> Running in e8a653a9b3de\n"}
 *   {"stream":"hi\n"}                                        ← RUN output
 *   {"stream":"Removing intermediate container e8a653a9b3de\n"}
 *   {"stream":" ---> e1d271e4dd17\n"}                         ← or " ---> Using cache" first
 *   {"aux":{"ID":"sha256:…"}}                                 ← after every stage; the last one wins
 *   {"stream":"Successfully built e1d271e4dd17\n"}
 *   {"errorDetail":{"code":3,"message":"The command … returned a non-zero code: 3"},"error":"…"}
 *
 * An `error` line is a failure even though the HTTP status was 200. With `q=1` the only output
 * is the image ID as a stream line.
 */
import type { Emit } from '../progress/events.js';
import { PackError } from '../errors.js';
import { BuildStepError } from './engine-errors.js';
import { messageError, type JsonMessage } from './ndjson.js';

/** How many output lines of the failing step the error keeps. */
export const KEPT_LINES = 20;

const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
const SGR = /\u001b\[[0-9;]*m/g;

export interface BuildStreamResult {
  readonly imageId: string;
  readonly steps: number;
  readonly cachedSteps: number;
}

export async function interpretBuildStream(messages: AsyncIterable<JsonMessage>, emit: Emit): Promise<BuildStreamResult> {
  let partial = '';
  let step: { index: number; total: number; instruction: string; cached: boolean } | undefined;
  let lastLines: string[] = [];
  let imageId: string | undefined;
  let quietId: string | undefined;
  let steps = 0;
  let cachedSteps = 0;

  const finishStep = (): void => {
    if (step === undefined) return;
    emit({ type: 'build.step.done', index: step.index, cached: step.cached });
    if (step.cached) cachedSteps += 1;
  };

  const line = (raw: string): void => {
    // The classic builder wraps a RUN's stderr in red (ESC[91m … ESC[0m), and the closing code
    // lands at the start of its next line: colours would break both matching and CI logs.
    const text = raw.replace(SGR, '');
    const stepMatch = STEP_LINE.exec(text);
    if (stepMatch !== null) {
      finishStep();
      step = { index: Number(stepMatch[1]), total: Number(stepMatch[2]), instruction: stepMatch[3] ?? '', cached: false };
      steps = step.index;
      lastLines = [];
      emit({ type: 'build.step', index: step.index, total: step.total, instruction: step.instruction });
      return;
    }
    if (text === ' ---> Using cache') {
      if (step !== undefined) step.cached = true;
      return;
    }
    // Builder bookkeeping, not the user's output.
    if (/^ ---> /.test(text) || /^Removing intermediate container [0-9a-f]+$/.test(text)) return;
    if (/^Successfully (built [0-9a-f]+|tagged .+)$/.test(text)) return;
    if (IMAGE_ID.test(text) && step === undefined) {
      quietId = text;
      return;
    }
    lastLines.push(text);
    if (lastLines.length > KEPT_LINES) lastLines.shift();
    emit({ type: 'build.output', ...(step !== undefined ? { step: step.index } : {}), text });
  };

  const flush = (): void => {
    if (partial !== '') line(partial.replace(/\r$/, ''));
    partial = '';
  };

  for await (const message of messages) {
    const error = messageError(message);
    if (error !== undefined) {
      flush();
      const code = message.errorDetail?.code;
      throw new BuildStepError(error, step && { index: step.index, total: step.total, instruction: step.instruction }, lastLines, code);
    }
    if (typeof message.stream === 'string') {
      partial += message.stream;
      let newline: number;
      while ((newline = partial.indexOf('\n')) !== -1) {
        // Progress bars inside RUN output redraw with \r: keep the final state of the line.
        const text = partial.slice(0, newline).replace(/\r$/, '');
        partial = partial.slice(newline + 1);
        line(text.includes('\r') ? text.slice(text.lastIndexOf('\r') + 1) : text);
      }
    } else if (message.aux !== undefined && typeof message.aux['ID'] === 'string') {
      imageId = message.aux['ID'];
    } else if (typeof message.status === 'string' && message.progressDetail?.total === undefined) {
      // Pulling a base image (`--pull` or a missing FROM): status lines without byte counts.
      emit({
        type: 'build.output',
        ...(step !== undefined ? { step: step.index } : {}),
        text: message.id !== undefined ? `${message.id}: ${message.status}` : message.status,
      });
    }
  }
  flush();
  finishStep();
  const id = imageId ?? quietId;
  if (id === undefined) {
    throw new PackError('BUILD_NO_IMAGE', 'the engine ended the build without reporting an image ID', {
      hint: 'the connection may have been cut; run the build again',
    });
  }
  return { imageId: id, steps, cachedSteps };
}
