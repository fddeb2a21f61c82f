/**
 * One thing found wrong with an archive: what (a stable code), where (the member), and for a
 * checksum the two values, so that a flipped byte is reported as "pack/context.tar: expected
 * sha256:…, actual sha256:…" rather than "verification failed".
 */
export interface ArchiveProblem {
  readonly code: string;
  readonly message: string;
  readonly member?: string;
  readonly expected?: string;
  readonly actual?: string;
}

export function problem(code: string, message: string, details: Omit<ArchiveProblem, 'code' | 'message'> = {}): ArchiveProblem {
  return { code, message, ...details };
}

/** A digest mismatch, worded the same way everywhere. */
export function digestMismatch(code: string, member: string, what: string, expected: string, actual: string): ArchiveProblem {
  return problem(code, `${member}: ${what} expected ${expected}, actual ${actual}`, { member, expected, actual });
}
