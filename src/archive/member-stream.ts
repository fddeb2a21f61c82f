/**
 * One member's data read out of an archive as a stream, without writing anything to disk: the
 * archived context tar for `pack restore --rebuild` (piped straight into the engine's /build) and
 * for `--extract`. The archive is read up to the end of that member and no further.
 */
import { PackError } from '../errors.js';
import { openArchive } from './archive-input.js';
import { TarParser } from './tar-parser.js';

export async function* memberData(path: string, name: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const input = await openArchive(path, signal ? { signal } : {});
  const parser = new TarParser();
  let inside = false;
  for await (const chunk of input.chunks) {
    for (const event of parser.write(chunk)) {
      if (event.kind === 'member') inside = event.member.name === name;
      else if (event.kind === 'data' && inside) yield event.chunk;
      else if (event.kind === 'member-end' && inside) return;
    }
  }
  throw new PackError('ARCHIVE_MEMBER_MISSING', `${path} has no member ${name}`);
}
