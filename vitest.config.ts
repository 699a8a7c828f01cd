import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts', 'test/setup/pglite-template.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and end-to-end suites each start real emulators and databases; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});
