/** One jest run over core, plugins and the cross-package tests in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/core', '<rootDir>/plugins', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/packaging installs from the registry: `npm run test:packaging` (CI runs it)
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/packaging/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/.*\\.d\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup/backend.ts'],
  testTimeout: 120000,
};
