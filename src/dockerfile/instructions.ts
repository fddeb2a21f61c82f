/**
 * A minimal reading of Dockerfile instructions: continuation lines joined (honouring the escape
 * directive), comments skipped, each with the line it starts on. Enough for pack's own checks and
 * for listing base images; full parsing and validation is dockerfile-utils' job.
 */

export interface Instruction {
  readonly line: number;
  readonly keyword: string;
  readonly text: string;
}

/** Instructions with continuation lines joined; comments and blank lines skipped. */
export function dockerfileInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const escapeDirective = /^#\s*escape\s*=\s*(\S)/i.exec(lines.find((line) => line.trim() !== '') ?? '');
  const escape = escapeDirective?.[1] === '`' ? '`' : '\\';
  const result: Instruction[] = [];
  let current: { line: number; parts: string[] } | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (current === undefined) {
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      current = { line: index + 1, parts: [] };
    } else if (line.trimStart().startsWith('#')) {
      return; // comment lines inside a continuation are dropped by the parser
    }
    if (line.endsWith(escape)) {
      current.parts.push(line.slice(0, -1));
      return;
    }
    current.parts.push(line);
    const joined = current.parts.join(' ').trim();
    result.push({ line: current.line, keyword: (joined.split(/\s+/)[0] ?? '').toUpperCase(), text: joined });
    current = undefined;
  });
  return result;
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
