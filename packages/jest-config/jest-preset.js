// Shared jest preset. The packages' test scripts run jest with --experimental-vm-modules, which
// lets jest load dependencies that are ES modules only (e.g. fastify's inject uses one).
// Tests are TypeScript, compiled by SWC (types are checked separately by
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
