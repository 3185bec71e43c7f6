/**
 * The runtime suite (npm run test:runtime): the synthesized containers run as sandboxed local
 * processes with real Prefect. One scenario at a time: they share the pod network.
 */
module.exports = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-warnings.js'],
  roots: ['<rootDir>/test/runtime'],
  testMatch: ['**/*.test.ts'],
  maxWorkers: 1,
  testTimeout: 600_000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
};
