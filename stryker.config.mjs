// Mutation testing (npm run mutate; not part of CI: it takes minutes). Scoped to the modules where a
// silent mistake hurts most: redaction, SASL, exit codes, retry, the pool, the reports. Only unit tests
// run here: the end-to-end tests spawn the built CLI, which a mutant in src/ does not reach.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: [
    'src/redact.ts',
    'src/sasl.ts',
    'src/result.ts',
    'src/exit-codes.ts',
    'src/batch/retry.ts',
    'src/batch/pool.ts',
    'src/report/junit.ts',
    'src/report/github.ts',
    'src/secret-shape.ts',
  ],
  coverageAnalysis: 'perTest',
  // TypeScript 7 (the native compiler) has no JavaScript API for Stryker's tsconfig rewriting; vitest
  // compiles the sources itself, so that step is not needed: point it at no file.
  tsconfigFile: 'stryker-has-no-tsconfig.json',
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  thresholds: { high: 90, low: 85, break: null },
};
