/**
 * Which engine a command talks to — `--host`, then DOCKER_HOST, then the docker context, as the
 * docker CLI decides — and the connection itself. dockerode is loaded only here, and only when a
 * command really needs the engine, so `pack --help` and `pack plan` stay fast.
 */
import { resolveEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import type { CliIO } from './io.js';

export interface EngineFlags {
  readonly host?: string | undefined;
  readonly context?: string | undefined;
}

/** The endpoint a command would use, with the reason; no connection is made. */
export function chooseEndpoint(flags: EngineFlags, io: CliIO): Promise<EngineEndpoint> {
  return resolveEndpoint({
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    env: io.env,
    homeDir: io.homeDir,
  });
}

export async function connectEngine(flags: EngineFlags, io: CliIO) {
  const endpoint = await chooseEndpoint(flags, io);
  const { createEngine } = await import('../engine/dockerode-engine.js');
  return createEngine(endpoint);
}
