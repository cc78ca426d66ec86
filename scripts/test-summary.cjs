// Adds up the jest result files each package writes (.jest-results.json) and prints one line:
// "N passed, N failed, N skipped". Exits non-zero when nothing ran or anything failed.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
for (const group of ['packages', 'services']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, '.jest-results.json');
    if (!existsSync(file)) continue;
    const result = JSON.parse(readFileSync(file, 'utf8'));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    skipped += result.numPendingTests + result.numTodoTests;
    // A suite that fails to load has no failed tests but does fail.
    suitesFailed += result.numRuntimeErrorTestSuites ?? 0;
    console.log(`${group}/${name}: ${result.numPassedTests} passed, ${result.numFailedTests} failed`);
  }
}
console.log(`${passed} passed, ${failed + suitesFailed} failed, ${skipped} skipped`);
process.exit(passed > 0 && failed + suitesFailed === 0 ? 0 : 1);
