/** The packaging test alone (slow: npm installs from the registry): `npm run test:packaging`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/packaging'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 1800000,
};
