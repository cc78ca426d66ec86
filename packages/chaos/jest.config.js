/** @type {import('jest').Config} */
module.exports = {
  preset: '@mesh/jest-config',
  // The suite owns a whole mesh and its servers; one file at a time.
  maxWorkers: 1,
  testTimeout: 120_000,
};
