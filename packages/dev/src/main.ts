import { runMesh } from './run';

// Output may go to a pipe that closes early (`| head`) or a terminal that is gone (SIGHUP);
// that must not keep the runner from stopping what it started.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

runMesh({
  env: process.env,
  pretty: process.stdout.isTTY === true,
  writeLog: (text) => process.stdout.write(text),
  say: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
