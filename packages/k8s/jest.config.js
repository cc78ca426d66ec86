/** @type {import('jest').Config} */
module.exports = { preset: '@mesh/jest-config', maxWorkers: 1, testTimeout: 120_000 };
