/**
 * Versions of the installers pack puts into images, pinned so that the same Dockerfile installs the
 * same tool next month. Updating one is a reviewed one-line change.
 */
export const TOOL_VERSIONS = {
  pipenv: '2024.4.0',
  /** Poetry 1.x reads lock-version 2.0 files; 2.x writes 2.1. */
  poetry1: '1.8.5',
  poetry2: '2.0.1',
} as const;
