/**
 * Dockerfile instructions as pack's own checks need them — keyword, first line, and the text with
 * continuation lines joined and flags kept — read with dockerfile-ast, the parser behind
 * dockerfile-utils, so that the escape directive, comments and empty lines inside continuations
 * are handled as Docker handles them (one parser for the whole project).
 */
import { DockerfileParser } from 'dockerfile-ast';

export interface Instruction {
  readonly line: number;
  readonly keyword: string;
  /** `KEYWORD --flags… arguments`, continuation lines joined. */
  readonly text: string;
}

export function dockerfileInstructions(text: string): Instruction[] {
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((instruction) => {
      const keyword = instruction.getKeyword().toUpperCase();
      const flags = 'getFlags' in instruction && typeof instruction.getFlags === 'function' ? (instruction.getFlags() as { toString(): string }[]).map(String) : [];
      const args = instruction.getArguments().map((argument) => argument.getValue());
      return { line: instruction.getRange().start.line + 1, keyword, text: [keyword, ...flags, ...args].join(' ') };
    });
}

export interface StageImage {
  /** The image a FROM names (as written; ARG references stay unexpanded). */
  readonly image: string;
  readonly stage?: string;
  readonly line: number;
}

/**
 * The images a Dockerfile's FROM lines pull, in order; a FROM naming an earlier stage is not an
 * image and is left out (`FROM deps AS build`).
 */
export function stageImages(text: string): StageImage[] {
  const stages = new Set<string>();
  const images: StageImage[] = [];
  for (const instruction of dockerfileInstructions(text)) {
    if (instruction.keyword !== 'FROM') continue;
    const words = instruction.text.split(/\s+/).slice(1).filter((word) => !word.startsWith('--'));
    const image = words[0];
    if (!image) continue;
    const stage = words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
    if (!stages.has(image.toLowerCase())) images.push({ image, line: instruction.line, ...(stage ? { stage } : {}) });
    if (stage) stages.add(stage);
  }
  return images;
}
