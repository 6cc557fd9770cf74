import { defineConfig } from 'vitest/config';

/**
 * The browser suite (`npm run test:e2e`): the built `pactum serve` on the embedded engine, driven by
 * Debian's Chromium through playwright-core. One file at a time: a browser and a server per file already
 * fill the two cores.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
