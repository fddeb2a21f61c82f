/**
 * `pack/README.txt`: for the person who finds this file in twenty years with docker and nothing
 * else. Plain words, commands they can paste, no pack required. A pure function of what is known
 * when it is written (it precedes the context and the manifest in the archive).
 */

export interface ReadmeInput {
  readonly packVersion: string;
  /** RFC 3339 time the archive was written. */
  readonly created: string;
  /** The file name the archive was written as (the user may rename it). */
  readonly fileName: string;
  readonly gzip: boolean;
  readonly imageId: string;
  readonly repoTags: readonly string[];
  readonly platform: string;
  readonly sourceDirectory: string;
  readonly git: { readonly remote: string | null; readonly commit: string; readonly dirty: boolean } | null;
  /** The Dockerfile's name inside the context tar (the `docker build -f` argument after extraction). */
  readonly dockerfileInContext: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly target: string | null;
  readonly baseImages: readonly { readonly reference: string; readonly id: string | null }[];
}

export function renderReadme(input: ReadmeInput): Buffer {
  const file = input.fileName;
  const run = input.repoTags[0] ?? input.imageId;
  const lines: string[] = [];
  const add = (...more: string[]): void => {
    lines.push(...more);
  };
  add(
    `This archive was written by pack ${input.packVersion} on ${input.created}.`,
    'It holds a container image and the exact source it was built from, so that the',
    'program can be run, checked and rebuilt later with Docker alone.',
    '',
    'THE IMAGE',
    `  Image ID:  ${input.imageId}`,
    `  Tags:      ${input.repoTags.length > 0 ? input.repoTags.join(', ') : '(none: refer to it by its ID)'}`,
    `  Platform:  ${input.platform}`,
    `  Source:    ${input.sourceDirectory}${input.git ? ` (git ${input.git.commit}${input.git.dirty ? ', with uncommitted changes' : ''}${input.git.remote ? `, ${input.git.remote}` : ''})` : ''}`,
    '',
    'LOAD AND RUN IT (Docker only, no pack needed)',
    `  docker load -i ${file}`,
    `  docker run --rm ${run}`,
    '',
    `  The whole file is a normal \`docker save\` archive${input.gzip ? ' (gzip-compressed; docker load reads it as it is)' : ''}:`,
    '  docker load ignores the extra pack/ folder. The image ID after loading must be the one',
    `  above: docker image inspect --format '{{.Id}}' ${run}`,
    '',
    'CHECK IT',
    `  With pack:     pack verify ${file}`,
    '  Without pack:  unpack it and let sha256sum check every file against pack/SHA256SUMS:',
    `    mkdir unpacked && tar -xf ${file} -C unpacked && cd unpacked && sha256sum -c pack/SHA256SUMS`,
    '  pack/manifest.json lists the size and sha256 of every member, and the image ID is the sha256',
    '  of the image config file named in manifest.json ("Config").',
    '',
    'REBUILD IT FROM SOURCE',
    '  pack/context.tar is the exact build context that was sent to Docker; pack/Dockerfile is',
    '  the Dockerfile (inside the context it is named as in the -f below).',
    `    mkdir src && tar -xf ${file} pack/context.tar && tar -xf pack/context.tar -C src`,
    `    docker build -f src/${input.dockerfileInContext}${buildFlags(input)} src`,
  );
  if (input.baseImages.length > 0) {
    add('  It starts FROM these images, which must be available to Docker:');
    for (const base of input.baseImages) add(`    ${base.reference}${base.id !== null ? `  (image ID ${base.id})` : ''}`);
  }
  add(
    '  Layers made by COPY/ADD from this context come out identical; layers made by RUN usually',
    '  differ (file times). With pack: pack restore --rebuild reports which layers match.',
    '',
    'WHAT IS IN THIS FILE',
    '  manifest.json, repositories, ...  the image, byte for byte as `docker save` wrote it',
    '  pack/Dockerfile                   the Dockerfile used',
    '  pack/README.txt                   this file',
    '  pack/context.tar                  the build context',
    '  pack/manifest.json                everything pack knows: source, git commit, base images and',
    '                                    their IDs, build arguments, labels, and the sha256 of every',
    '                                    member (JSON, "schemaVersion": 1)',
    '  pack/SHA256SUMS                   sha256sum -c lines for every file, manifest.json included',
    '',
  );
  return Buffer.from(lines.join('\n'), 'utf8');
}

function buildFlags(input: ReadmeInput): string {
  const args = Object.entries(input.buildArgs).map(([name, value]) => ` --build-arg ${shellWord(`${name}=${value}`)}`);
  const labels = Object.entries(input.labels).map(([key, value]) => ` --label ${shellWord(`${key}=${value}`)}`);
  return `${input.target !== null ? ` --target ${shellWord(input.target)}` : ''}${args.join('')}${labels.join('')}`;
}

/** A value as one POSIX shell word. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
