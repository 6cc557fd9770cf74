import { defineConfig } from 'vitest/config';

/**
 * The replication failover drill (`npm run test:replication`), apart from `npm test` and the fault
 * drills: it starts a primary and a streaming standby of its own and runs the built `pactum serve`
 * against them. One scenario at a time: each loads the machine's two cores by itself.
 */
export default defineConfig({
  test: {
    include: ['test/replication/**/*.replication.ts'],
    pool: 'forks',
    fileParallelism: false,
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
