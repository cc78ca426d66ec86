/** @type {import('jest').Config} */
module.exports = {
  preset: '@mesh/jest-config',
  // Each lab starts the whole set of services; two at once would only compete for two cores.
  maxWorkers: 1,
  testTimeout: 180_000,
};
