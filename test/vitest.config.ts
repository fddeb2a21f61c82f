import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Three projects:
 *  - unit:   pure stages and temp-dir file trees, no engine;
 *  - engine: against the real Docker engine (CI starts one; without it the suites say so loudly,
 *            and fail when PACK_REQUIRE_ENGINE=1, which .ci/run sets);
 *  - cli:    spawn the built binary (dist/cli/main.js) in temp dirs.
 */
export default defineConfig({
  test: {
    root,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'engine',
          include: ['test/engine/**/*.test.ts'],
          // Engine suites share one daemon; running them one file at a time keeps timings sane.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], testTimeout: 60_000 },
      },
    ],
  },
});
