import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts', 'test/setup/pglite-template.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A poll waits for an asynchronous effect (a queue delivery, a 1 s snapshot, a mail); on a loaded
    // 2-core machine that can take seconds, and a poll returns as soon as its effect is seen.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    // Integration and end-to-end suites each start real emulators and databases; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});
