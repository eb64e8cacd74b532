import { defineConfig } from 'vitest/config';

// Two projects: unit tests are pure data (desired + observed -> plan) and run anywhere;
// integration tests drive the built CLI against a real Docker engine and PostgreSQL.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/golden/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
