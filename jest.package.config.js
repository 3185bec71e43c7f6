/**
 * The package test: packs the library, installs the tarball into a fresh cdk8s app outside the
 * repository, compiles the README's examples against it and checks what they synthesize. It
 * installs from the npm registry, so it runs apart from the unit tests (`npm run test:package`).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/package'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  testTimeout: 600000,
};
