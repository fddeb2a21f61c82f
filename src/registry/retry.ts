/**
 * Bounded retries with exponential backoff, for transient push failures (a registry restarting, a
 * connection reset). The engine already retries each layer upload itself (5 attempts, waiting
 * 5, 10, 15, 20 s: moby distribution/xfer maxUploadAttempts), so pack's retries cover what the
 * engine does not retry — an unreachable registry at the start, a failed manifest upload, a layer
 * that ran out of engine attempts — and each pack attempt resumes cheaply: layers that landed
 * answer "Layer already exists".
 */
import { InterruptedError, PackError } from '../errors.js';

export interface RetryPolicy {
  /** Attempts in total, at least 1 (`--retries N` means N + 1 attempts). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/**
 * The wait after failed attempt `n` (1-based): base·2^(n−1), capped, scaled by a jitter factor in
 * [0.5, 1] so that many CI jobs hitting one restarting registry do not come back in step.
 */
export function retryDelay(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.round(exponential * (0.5 + 0.5 * random()));
}

/** Waits, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = (): unknown => {
      const reason: unknown = signal?.reason;
      return reason instanceof PackError ? reason : new InterruptedError();
    };
    if (signal?.aborted === true) {
      reject(aborted());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
