/** Tests run from TypeScript sources, transpiled without type-checking (that is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
