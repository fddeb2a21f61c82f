/**
 * `pack tags [DIR]`: the tag set a build or push would apply, with the version it comes from and a
 * reason for every tag (and for every tag left out). Touches no engine and no registry.
 * Text on stdout (warnings on stderr), or one JSON document with --json.
 */
import { resolve } from 'node:path';
import { formatProjectTags, parseTagOptions, readProjectTags, tagsDocument, type TagFlags } from '../../tags/project-tags.js';
import type { CliIO } from '../io.js';

export const TAGS_SCHEMA_VERSION = 1;

export interface TagsCommandFlags extends TagFlags {
  readonly json?: boolean;
}

export async function tagsCommand(dir: string | undefined, flags: TagsCommandFlags, io: CliIO): Promise<void> {
  const options = parseTagOptions(flags);
  const tags = await readProjectTags(resolve(io.cwd, dir ?? '.'), options, io.signal);
  for (const warning of tags.set.warnings) io.stderr.write(`warning: ${warning.message}\n`);
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify({ schemaVersion: TAGS_SCHEMA_VERSION, ...tagsDocument(tags) }, null, 2)}\n`);
    return;
  }
  io.stdout.write(formatProjectTags(tags));
}
