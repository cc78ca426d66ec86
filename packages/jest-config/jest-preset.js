// Shared jest preset. Tests are TypeScript, compiled by SWC (types are checked separately by
// `tsc --noEmit` in the typecheck task, so tests stay fast).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{src,test}/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      require.resolve('@swc/jest'),
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'commonjs' } },
    ],
  },
  // Integration tests talk to real PostgreSQL, Redis and Kafka; give them room.
  testTimeout: 60_000,
  // Open handles from a broken test must not hang CI.
  forceExit: true,
};
