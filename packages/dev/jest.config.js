/** @type {import('jest').Config} */
module.exports = {
  preset: '@mesh/jest-config',
  testTimeout: 120_000,
};
