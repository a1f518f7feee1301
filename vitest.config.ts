import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.spec.ts',
      'plugins/**/*.spec.ts',
      'test/**/*.spec.ts',
      'test/**/*.int-spec.ts',
      'test/**/*.e2e-spec.ts',
    ],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/utils/global-setup.ts'],
    // The CI reads a plain "N passed, N failed" closing line; Vitest's own summary is not one of its formats.
    reporters: ['default', './test/utils/summary-reporter.ts'],
  },
});
