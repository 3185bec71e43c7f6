/** Tests run from TypeScript sources, transpiled without type-checking (that is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-warnings.js'],
  roots: ['<rootDir>/test'],
  // One worker per core: jest's default leaves one core to itself, which on two cores is half.
  maxWorkers: '100%',
  testMatch: ['**/*.test.ts'],
  // The package test installs from the registry (npm run test:package); the runtime suite runs real
  // Prefect (npm run test:runtime).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/', '<rootDir>/test/runtime/', '<rootDir>/test/cluster/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
