/**
 * `pack context [DIR]`: the exact tar a build would send (`--output FILE|-`), or its member list
 * (`--list`). The file appears only when complete; stdout must not be a terminal.
 */
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ContextEntry } from '../../context/entry.js';
import { prepareContext } from '../../context/prepare.js';
import { tarContext } from '../../context/tar-encoder.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomically } from '../../output/atomic-file.js';
import { gzipStream } from '../../output/gzip.js';
import type { PackEvent } from '../../progress/events.js';
import { formatBytes } from '../../progress/reporters/format-bytes.js';
import { parseContextFlags, type ContextFlags } from '../context-options.js';
import type { CliIO } from '../io.js';
import { commandReporter } from '../reporter.js';

/**
 * Output files are flushed to disk in the background every this many bytes, so that the final
 * fsync waits only for the tail: for a 110 MB context the fsync at the end took ~80 ms, for 1 GB
 * ~0.4–1 s, all of it after the last byte was produced.
 */
const SYNC_EVERY_BYTES = 16 * 1024 * 1024;

export interface ContextCommandFlags extends ContextFlags {
  output?: string;
  list?: boolean;
  gzip?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function runContext(dir: string | undefined, flags: ContextCommandFlags, io: CliIO): Promise<void> {
  if (flags.output === undefined && !flags.list) {
    throw new UsageError('MISSING_FLAG', 'pack context needs --output FILE, --output - (stdout) or --list', {
      hint: 'e.g. pack context . --output context.tar',
    });
  }
  if (flags.output !== undefined && flags.list) {
    throw new UsageError('BAD_FLAG', '--list and --output cannot be used together');
  }
  if (flags.output === '-' && io.stdout.isTTY) {
    throw new UsageError('TTY_OUTPUT', 'refusing to write a tar archive to a terminal', {
      hint: 'redirect stdout (pack context . -o - > context.tar) or pass --output FILE',
    });
  }
  const { request } = parseContextFlags(dir, flags, io.cwd, io.env);
  const context = prepareContext(request);

  if (flags.list) {
    const warnings: PackEvent[] = [];
    const entries = context.entries({ emit: (e) => warnings.push(e), signal: io.signal });
    // Line by line with backpressure: a listing of millions of paths is never held in memory.
    const lines = (function* () {
      for (const e of entries) {
        if (flags.json) {
          const { source: _source, content: _content, ...shown } = e;
          yield `${JSON.stringify(shown)}\n`;
        } else {
          yield `${e.type === 'dir' ? `${e.path}/` : e.path}\n`;
        }
      }
    })();
    await pipeline(Readable.from(lines), io.stdout, { end: false, signal: io.signal });
    for (const w of warnings) if (w.type === 'warning') io.stderr.write(`pack: warning: ${w.message}\n`);
    return;
  }

  const output = flags.output as string;
  const toStdout = output === '-';
  // JSON events would mix with a tar on stdout; with -o - they go nowhere and the result to stderr.
  const reporter = commandReporter(io, { json: Boolean(flags.json) && !toStdout, quiet: Boolean(flags.quiet) });
  let done: Extract<PackEvent, { type: 'context.done' }> | undefined;
  const emit = (event: PackEvent): void => {
    if (event.type === 'context.done') {
      done = event;
      // The summary line below says it better (with the path and digest) outside --json.
      if (!flags.json) return;
    }
    reporter.emit(event);
  };
  try {
    // entryBatches: the walk runs on a worker thread while this one reads and encodes.
    let stream: Readable = tarContext(withoutOutput(context.entryBatches({ emit, signal: io.signal }), toStdout ? undefined : resolve(io.cwd, output)), {
      ...(request.sourceDateEpoch !== undefined ? { sourceDateEpoch: request.sourceDateEpoch } : {}),
      signal: io.signal,
      emit,
    });
    if (flags.gzip) {
      const gzip = gzipStream();
      // pipeline, not pipe: a failing tar must fail the gzip stream (and so the output) too.
      pipeline(stream, gzip).catch(() => {});
      stream = gzip;
    }
    if (toStdout) await pipeline(stream, io.stdout, { end: false, signal: io.signal });
    // Durable (fsync before the rename), with the disk writing while the tar is still produced.
    else await writeFileAtomically(output, stream, { signal: io.signal, syncEveryBytes: SYNC_EVERY_BYTES });
  } finally {
    reporter.close();
  }
  if (done === undefined) return;
  const result = {
    output: toStdout ? '-' : output,
    files: done.files,
    bytes: done.bytes,
    sha256: done.sha256,
    gzip: Boolean(flags.gzip),
    dockerfile: context.dockerfile.nameInContext,
  };
  if (flags.json && !toStdout) io.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
  else if (!flags.quiet) {
    io.stderr.write(`${toStdout ? 'wrote context to stdout' : `wrote ${output}`}: ${done.files} entries, ${formatBytes(done.bytes)} tar, sha256:${done.sha256 ?? '?'}\n`);
  }
}

/**
 * The output file written inside the context must not pack itself (its partial name exists while
 * the walk runs); an older copy at the same path is about to be replaced, so it is left out too.
 * GNU tar does the same ("file is the archive; not dumped").
 */
async function* withoutOutput(batches: AsyncIterable<ContextEntry[]>, output: string | undefined): AsyncGenerator<ContextEntry[]> {
  for await (const batch of batches) {
    if (output === undefined) yield batch;
    else yield batch.filter((entry) => entry.source === undefined || (entry.source !== output && !entry.source.startsWith(`${output}.partial-`)));
  }
}
