import { describe, expect, it } from 'vitest';
import { EnvironmentError, ExitCode, PackError, UsageError } from '../../src/errors.js';

describe('PackError', () => {
  it('carries code, hint and exit code', () => {
    const error = new UsageError('BAD_FLAG', '--network: expected none, host or default', { hint: 'use --network host' });
    expect(error).toBeInstanceOf(PackError);
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.code).toBe('BAD_FLAG');
    expect(error.hint).toBe('use --network host');
    expect(new EnvironmentError('NO_ENGINE', 'x').exitCode).toBe(3);
    expect(new PackError('X', 'y').exitCode).toBe(1);
  });
});
