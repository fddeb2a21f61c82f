/**
 * What pack build needs to know about a Dockerfile's structure, read with dockerfile-ast:
 *  - the instructions in file order, with their lines: Docker's classic builder numbers its steps
 *    exactly so (meta ARGs before the first FROM, then each stage's FROM and commands, stages after
 *    `--target` dropped — moby builder/dockerfile dispatchDockerfileWithCancellation), so
 *    step i is instruction i and a failing step can be reported as Dockerfile:LINE;
 *  - the stages (for `--target`) and the images they start FROM (for the build digest).
 */
import { DockerfileParser } from 'dockerfile-ast';
import { UsageError } from '../errors.js';

export interface DockerfileInstruction {
  readonly keyword: string;
  /** 1-based first line of the instruction. */
  readonly line: number;
}

export interface DockerfileStage {
  readonly name?: string;
  /** The FROM image as written, `${ARG}`s expanded when possible; a stage name when it builds on one. */
  readonly from: string;
  /** True when `from` is an earlier stage or `scratch`, i.e. not an image the engine resolves. */
  readonly fromStage: boolean;
  readonly line: number;
  /** Index (0-based) of the stage's FROM in `instructions`. */
  readonly instructionIndex: number;
}

export interface DockerfileFacts {
  readonly instructions: readonly DockerfileInstruction[];
  readonly stages: readonly DockerfileStage[];
}

export function readDockerfileFacts(content: string, buildArgs: Readonly<Record<string, string>>): DockerfileFacts {
  const dockerfile = DockerfileParser.parse(content);
  const instructions = dockerfile.getInstructions().map((instruction) => ({
    keyword: instruction.getKeyword().toUpperCase(),
    line: instruction.getRange().start.line + 1,
  }));
  // Meta ARGs (before the first FROM) may parametrise FROM; build args override their defaults.
  const metaArgs: Record<string, string | undefined> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const name = property?.getName();
    if (name === undefined) continue;
    metaArgs[name] = buildArgs[name] ?? property?.getValue() ?? undefined;
  }
  const starts = dockerfile.getInstructions().map((instruction) => instruction.getRange().start.line);
  const stages: DockerfileStage[] = [];
  const names = new Set<string>();
  for (const from of dockerfile.getFROMs()) {
    const raw = from.getImage() ?? '';
    const image = expand(raw, metaArgs);
    const name = from.getBuildStage() ?? undefined;
    const fromStage = names.has(image.toLowerCase()) || image === 'scratch';
    const line = from.getRange().start.line;
    stages.push({
      ...(name !== undefined ? { name } : {}),
      from: image,
      fromStage,
      line: line + 1,
      instructionIndex: starts.indexOf(line),
    });
    if (name !== undefined) names.add(name.toLowerCase());
  }
  return { instructions, stages };
}

/** Checks `--target` against the stages before anything is sent (the engine would answer 400 after the upload). */
export function checkTarget(facts: DockerfileFacts, target: string | undefined, dockerfileName: string): void {
  if (target === undefined) return;
  if (facts.stages.some((stage) => stage.name?.toLowerCase() === target.toLowerCase())) return;
  const declared = facts.stages.flatMap((stage) => (stage.name !== undefined ? [stage.name] : []));
  throw new UsageError('BAD_TARGET', `--target "${target}": ${dockerfileName} has no stage named so`, {
    hint: declared.length > 0 ? `its stages are: ${declared.join(', ')}` : 'name stages with FROM IMAGE AS NAME',
  });
}

/** `$NAME` / `${NAME}` from the meta ARGs; unknown or unset names stay as written. */
function expand(text: string, args: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = args[braced ?? bare ?? ''];
    return value ?? whole;
  });
}
