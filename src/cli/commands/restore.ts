/**
 * `pack restore ARCHIVE [--rebuild | --extract DIR]`: verify first (a failed verification stops
 * everything, with the full report on stderr), then load the image (stdout: its ID), or rebuild it
 * from the archived source (stdout: layer-by-layer comparison), or unpack the source (stdout: the
 * directory).
 */
import { resolve } from 'node:path';
import type { LayerComparison, RebuildResult } from '../../archive/restore-archive.js';
import { PackError, UsageError } from '../../errors.js';
import { parseImageReference } from '../../plan/image-reference.js';
import { connectEngine } from '../engine-connection.js';
import type { CliIO } from '../io.js';
import { commandReporter } from '../reporter.js';
import { formatVerifyReport, verificationFailed, verifyWithProgress } from './verify.js';

export interface RestoreFlags {
  readonly rebuild?: boolean;
  readonly extract?: string;
  readonly tag?: readonly string[];
  readonly noCache?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly host?: string;
  readonly context?: string;
}

export async function restoreCommand(archive: string, flags: RestoreFlags, io: CliIO): Promise<void> {
  if (flags.rebuild === true && flags.extract !== undefined) {
    throw new UsageError('BAD_FLAGS', '--rebuild and --extract cannot be used together', { hint: 'extract the source, or rebuild from it, one at a time' });
  }
  if (flags.extract === '') throw new UsageError('BAD_FLAGS', '--extract needs a directory');
  for (const tag of flags.tag ?? []) {
    const reference = parseImageReference(tag, `-t/--tag ${JSON.stringify(tag)}`);
    if (reference.digest !== undefined) throw new UsageError('BAD_TAG', `-t/--tag ${JSON.stringify(tag)}: a digest cannot be a tag`, { hint: 'give NAME:TAG' });
  }
  const tags = (flags.tag ?? []).map((tag) => {
    const reference = parseImageReference(tag, '-t/--tag');
    return `${reference.name}:${reference.tag ?? 'latest'}`;
  });
  const path = resolve(io.cwd, archive);
  const started = Date.now();
  const reporter = commandReporter(io, { json: flags.json === true, quiet: flags.quiet === true });
  try {
    const report = await verifyWithProgress(path, reporter.emit, io.signal);
    if (!report.ok || report.manifest === undefined) {
      reporter.close();
      io.stderr.write(formatVerifyReport(report));
      throw verificationFailed(report);
    }
    const manifest = report.manifest;
    const restore = await import('../../archive/restore-archive.js');

    if (flags.extract !== undefined) {
      const dest = resolve(io.cwd, flags.extract);
      const result = await restore.extractContext(path, manifest, dest, { emit: reporter.emit, signal: io.signal });
      reporter.close();
      const rebuild = `docker build -f ${manifest.build.dockerfile.nameInContext} ${result.directory}`;
      if (flags.json === true) io.stdout.write(`${JSON.stringify({ type: 'result', ...result, dockerfile: manifest.build.dockerfile.nameInContext, rebuild })}\n`);
      else io.stdout.write(`${result.directory}\n`);
      if (flags.json !== true && flags.quiet !== true) {
        io.stderr.write(`Extracted ${result.files} files, ${result.directories} directories, ${result.links} links; the Dockerfile is ${manifest.build.dockerfile.nameInContext} (build it with: docker build -f ${resolve(result.directory, manifest.build.dockerfile.nameInContext)} ${result.directory})\n`);
      }
      return;
    }

    const engine = await connectEngine(flags, io);
    await engine.info(io.signal);
    const deps = { engine, emit: reporter.emit, signal: io.signal };

    if (flags.rebuild === true) {
      const result = await restore.rebuildFromArchive(path, manifest, { tags, noCache: flags.noCache === true }, deps);
      reporter.close();
      if (flags.json === true) io.stdout.write(`${JSON.stringify({ type: 'result', archivedImageId: manifest.image.id, ...result })}\n`);
      else io.stdout.write(formatRebuild(result, manifest.image.id, manifest.build.mode));
      return;
    }

    const loaded = await restore.loadArchive(path, report.fileBytes, manifest, tags, deps);
    reporter.emit({ type: 'restore.done', imageId: loaded.imageId, tags: loaded.tags, durationMs: Date.now() - started });
    reporter.close();
    if (flags.json === true) io.stdout.write(`${JSON.stringify({ type: 'result', ...loaded, manifestDigest: report.manifestDigest })}\n`);
    else io.stdout.write(`${loaded.imageId}\n`);
  } catch (error) {
    if (flags.json === true && error instanceof PackError) reporter.emit({ type: 'build.failed', code: error.code, message: error.message });
    reporter.close();
    throw error;
  }
}

/** One line per layer, then the verdict. */
function formatRebuild(result: RebuildResult, archivedId: string, mode: 'built' | 'reused' | 'given'): string {
  const total = result.layers.length;
  const lines = result.layers.map((layer) => `layer ${`${layer.index}/${total}`.padEnd(6)} ${verdict(layer).padEnd(9)} ${describeCommand(layer.command)}`);
  const same = result.sameImage ? ' — the archived image itself' : `; archived image ${archivedId}`;
  lines.push(`rebuilt ${result.imageId}: ${result.identical}/${total} layers identical${same}`);
  if (mode !== 'built' && result.identical < total) {
    // pack's skip (and Docker's COPY cache) ignore file times: the image may hold other mtimes.
    lines.push(
      mode === 'reused'
        ? 'note: the archived image came from an earlier build of the same content (build.mode "reused"); its COPY layers may carry other file times than pack/context.tar'
        : 'note: the archived image was given with --image (build.mode "given"): pack did not build it from pack/context.tar',
    );
  }
  return `${lines.join('\n')}\n`;
}

function verdict(layer: LayerComparison): string {
  if (layer.archived === null) return 'added';
  if (layer.rebuilt === null) return 'missing';
  return layer.identical ? 'identical' : 'differs';
}

/** `/bin/sh -c #(nop) COPY dir:abc in /app` → `COPY dir:abc in /app`; `/bin/sh -c echo` → `RUN echo`. */
function describeCommand(command: string): string {
  const nop = /^\/bin\/sh -c #\(nop\)\s+(.*)$/s.exec(command);
  if (nop?.[1] !== undefined) return nop[1].trim();
  const run = /^(?:\|\d+ .*? )?\/bin\/sh -c (.*)$/s.exec(command);
  if (run?.[1] !== undefined) return `RUN ${run[1]}`;
  return command === '' ? '(base image)' : command;
}
