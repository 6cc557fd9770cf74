import { defineConfig } from 'vitest/config';

/**
 * Fault drills (`npm run test:drills`), apart from `npm test`: each file starts its own PostgreSQL
 * cluster and the built `pactum serve`, and breaks things on purpose. One file at a time, since each
 * loads the machine's two cores by itself.
 */
export default defineConfig({
  test: {
    include: ['test/drills/**/*.drill.ts'],
    pool: 'forks',
    fileParallelism: false,
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
