import { defineConfig } from 'vitest/config';

/**
 * Office-suite checks (`npm run test:office`), apart from `npm test`: they start LibreOffice (a cold
 * start takes seconds), which `.ci/run` installs from Debian when it is missing.
 */
export default defineConfig({
  test: {
    include: ['test/office/**/*.office.ts'],
    pool: 'forks',
    fileParallelism: false,
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
