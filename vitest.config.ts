import { defineConfig } from 'vitest/config';

/**
 * Two projects; `npm test` runs both. `fast` (`npm run test:fast`) is the edit loop: unit tests of
 * shared/ and the emulator modules, no function bundles. `slow` is everything that runs built
 * bundles, the CLI or long chains (local runtime, e2e, reliability, deploy, CLI commands).
 */
const FAST = [
  'test/shared/cloud/**/*.test.ts',
  'test/local/cloud/**/*.test.ts',
  'test/shared/events/**/*.test.ts',
  'test/shared/link/**/*.test.ts',
  'test/shared/runtime/**/*.test.ts',
  // The verify function on the emulator's data plane: fast, and no bundle (the other function tests
  // mock the dependency module, which a shared, non-isolated worker must not see).
  'test/functions/verify.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    // Console output (SDK error dumps, function JSON logs) is shown for failing tests only.
    silent: 'passed-only',
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: FAST,
          // Every exchange with an emulator is checked against contracts/*.json (issue #12).
          setupFiles: ['test/quiet-output.ts', 'test/helpers/contract-conformance.ts'],
          // One worker runs many files: module loading (zod schemas, SDK oracles) is paid once, which
          // halves the wall time on 2 cores. These tests keep no state across files.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: ['test/**/*.test.ts'],
          exclude: FAST,
          // Builds the function bundles once, for the tests that load them.
          globalSetup: ['test/global-setup.ts'],
          // Every exchange with an emulator is checked against contracts/*.json (issue #12).
          setupFiles: ['test/quiet-output.ts', 'test/helpers/contract-conformance.ts'],
        },
      },
    ],
  },
});
