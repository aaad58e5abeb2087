// The unit tests alone, for mutation testing (stryker.config.mjs): no servers, no global set-up.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The unit tests of the mutated modules (stryker.config.mjs `mutate`).
    include: ['test/unit/{redact,sasl,sasl-command,pool,retry,junit,github,result,exit-codes,secret-shape}*.test.ts'],
    testTimeout: 30_000,
  },
});
