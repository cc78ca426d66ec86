/** @type {import('jest').Config} */
module.exports = { preset: '@mesh/jest-config' };
