/**
 * The OCI annotations pack sets on every image (https://github.com/opencontainers/image-spec,
 * annotations.md), through the /build `labels` parameter so they apply to any Dockerfile. Labels
 * the user gives with --label win.
 */
import type { GitInfo } from './git-info.js';

export const OCI_CREATED = 'org.opencontainers.image.created';
export const OCI_SOURCE = 'org.opencontainers.image.source';
export const OCI_REVISION = 'org.opencontainers.image.revision';
export const OCI_VERSION = 'org.opencontainers.image.version';

export interface LabelInput {
  readonly git?: GitInfo;
  readonly version?: string;
  /** Seconds since the epoch: SOURCE_DATE_EPOCH when given (reproducible), else the build time. */
  readonly createdSeconds: number;
  readonly userLabels: Readonly<Record<string, string>>;
}

export function imageLabels(input: LabelInput): Record<string, string> {
  const labels: Record<string, string> = {
    [OCI_CREATED]: new Date(input.createdSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z'),
  };
  if (input.git?.remote !== undefined) labels[OCI_SOURCE] = input.git.remote;
  if (input.git !== undefined) labels[OCI_REVISION] = input.git.dirty ? `${input.git.commit}-dirty` : input.git.commit;
  if (input.version !== undefined) labels[OCI_VERSION] = input.version;
  return { ...labels, ...input.userLabels };
}

/** The labels that describe inputs, for the build digest (the creation time does not). */
export function digestedLabels(labels: Readonly<Record<string, string>>, userLabels: Readonly<Record<string, string>>): Record<string, string> {
  const { [OCI_CREATED]: created, ...rest } = labels;
  // A created time the user set explicitly is an input like any other.
  return userLabels[OCI_CREATED] !== undefined && created !== undefined ? { ...rest, [OCI_CREATED]: created } : rest;
}
