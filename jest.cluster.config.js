/**
 * The cluster suite (npm run test:cluster): the synthesized output applied to real Kubernetes
 * control planes (etcd, kube-apiserver, kube-controller-manager on loopback), one per release that
 * scripts/cluster-setup.sh built. The files share the control planes, so they run one at a time.
 */
module.exports = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-warnings.js'],
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/cluster/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 300_000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
};
