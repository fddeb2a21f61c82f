/**
 * Turning what goes wrong between pack and the engine into PackErrors. Transport failures are
 * classified by errno / TLS code, engine refusals by HTTP status (never by the wording of the
 * engine's message, which changes between versions).
 */
import { EnvironmentError, PackError, UsageError, errnoCode } from '../errors.js';
import type { EngineEndpoint } from './endpoint.js';

/** A build step failed inside the 200 stream (`errorDetail`). */
export class BuildStepError extends PackError {
  constructor(
    /** The engine's message, e.g. `The command '/bin/sh -c exit 3' returned a non-zero code: 3`. */
    readonly engineMessage: string,
    /** 1-based step index and total, when a step had started. */
    readonly step: { readonly index: number; readonly total: number; readonly instruction: string } | undefined,
    /** The last output lines of the failing step, oldest first. */
    readonly lastLines: readonly string[],
    /** The RUN's exit status when the engine reports one (`errorDetail.code`). */
    readonly exitStatus: number | undefined,
  ) {
    super(
      'BUILD_STEP_FAILED',
      step === undefined
        ? `build failed: ${engineMessage}`
        : `step ${step.index}/${step.total} failed (${step.instruction}): ${engineMessage}`,
    );
  }
}

/** The engine answered with an HTTP status that says the request itself was wrong or failed. */
export class EngineRequestError extends PackError {
  constructor(
    readonly statusCode: number,
    readonly engineMessage: string,
    action: string,
  ) {
    super('ENGINE_REQUEST_FAILED', `${action}: the engine answered ${statusCode}: ${engineMessage}`, {
      hint: statusCode >= 500 ? 'the engine failed; its log (journalctl -u docker) may say more' : undefined,
    });
  }
}

const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOTSOCK',
  'ENOTDIR',
  'SSH_FAILED',
]);

/**
 * Maps an error from dockerode/docker-modem (or our ssh dialer) to a PackError. Errors that are
 * already PackErrors pass through. `action` says what pack was doing ("build", "inspect image x").
 */
export function classifyEngineError(error: unknown, endpoint: EngineEndpoint, action: string): PackError {
  if (error instanceof PackError) return error;
  const where = `${endpoint.url} (${endpoint.source === 'default' ? 'the default socket' : endpoint.reason})`;
  const status = statusOf(error);
  if (status !== undefined) {
    const message = engineMessageOf(error);
    if (status === 400) return new UsageError('ENGINE_BAD_REQUEST', `${action}: ${message}`, { cause: error });
    return new EngineRequestError(status, message, action);
  }
  const code = errnoCode(error) ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'EACCES' || code === 'EPERM') {
    return new EnvironmentError(
      'ENGINE_PERMISSION',
      `permission denied connecting to the Docker engine at ${where} — add your user to the docker group (sudo usermod -aG docker $USER, then log in again) or run rootless Docker`,
      { cause: error },
    );
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code.includes('CERT') || code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code.startsWith('ERR_SSL')) {
    return new EnvironmentError(
      'ENGINE_TLS',
      `TLS handshake with the Docker engine at ${where} failed (${detail}) — check DOCKER_CERT_PATH / the context's certificates, and that the engine really serves TLS`,
      { cause: error },
    );
  }
  if (UNREACHABLE.has(code)) {
    return new EnvironmentError(
      'ENGINE_UNREACHABLE',
      `cannot reach the Docker engine at ${where}: ${reasonFor(code, endpoint, detail)} — start Docker (e.g. sudo systemctl start docker) or point --host / DOCKER_HOST at a running engine`,
      { cause: error },
    );
  }
  return new PackError('ENGINE_ERROR', `${action}: ${detail}`, { cause: error });
}

function reasonFor(code: string, endpoint: EngineEndpoint, detail: string): string {
  switch (code) {
    case 'ENOENT':
      if (endpoint.address.kind === 'unix') return 'no socket at that path';
      return endpoint.address.kind === 'ssh' ? 'the ssh command was not found on PATH' : detail;
    case 'ECONNREFUSED':
      return 'connection refused (nothing is listening there)';
    case 'ENOTSOCK':
      return 'that path is not a socket';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was closed by the other side';
    default:
      return detail;
  }
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = (error as { statusCode: unknown }).statusCode;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

/** docker-modem puts the parsed body on `json`; the engine's body is `{"message": "…"}`. */
function engineMessageOf(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  // For streaming calls (build, push) docker-modem leaves `json` empty and puts the body's message
  // in its own text: "(HTTP code 500) server error - <message> ".
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
