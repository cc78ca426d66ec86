#!/usr/bin/env node
import { checkInCompose } from './compose-check';
import { LabFailed } from './lab';
import { LABS } from './labs';
import { format, runLab } from './run-lab';

const USAGE = `usage: pnpm lab list | pnpm lab check [--compose] <lab>|all

Runs a workshop lab for real on this machine: the five services (built with pnpm build) against
the native PostgreSQL, Redis and Kafka (scripts/services.sh start, then
eval "$(scripts/services.sh env)"), exporting to an OTLP capture, with a flag file of the lab's own.
It switches the lab's fault on, finds the symptom where docs/workshop.md says to look, switches it
off and sees it go. Your own flag file and running services are not touched.

With --compose it checks the stack docker compose runs instead: that you switched the lab's
fault on (pnpm fault), and that Tempo or Prometheus shows its symptom after a few orders.`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

async function check(names: string[], inCompose: boolean): Promise<number> {
  const labs = names.includes('all')
    ? LABS
    : names.map((name) => LABS.find((lab) => lab.name === name));
  const unknown = names.filter((name, index) => name !== 'all' && labs[index] === undefined);
  if (unknown.length > 0 || labs.length === 0) {
    complain(
      `lab: no lab ${unknown.join(', ') || '(none named)'}; known: ${LABS.map((lab) => lab.name).join(', ')}`,
    );
    return 2;
  }
  let failed = 0;
  for (const lab of labs) {
    if (!lab) continue;
    say(`${lab.name}: ${lab.title}`);
    if (inCompose) {
      const result = await checkInCompose(lab).catch((error: Error) => ({
        ok: false,
        lines: [`could not ask the compose stack: ${error.message}`],
      }));
      for (const line of result.lines) say(`  ${line}`);
      say(`${lab.name}: ${result.ok ? 'the symptom is visible' : 'FAILED'}\n`);
      if (!result.ok) failed += 1;
      continue;
    }
    try {
      await runLab(lab, {
        onPhase: (phase, description) => say(` ${phase}: ${description}`),
        onObservation: (observation) => say(format(observation)),
      });
      say(`${lab.name}: the symptom is visible with the fault on and gone with it off\n`);
    } catch (error) {
      failed += 1;
      const message =
        error instanceof LabFailed ? error.message : String((error as Error).stack ?? error);
      complain(`${lab.name}: FAILED\n${message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const [command, ...names] = process.argv.slice(2);
  if (command === 'list') {
    for (const lab of LABS) {
      say(
        `${lab.name.padEnd(24)} ${lab.title}  (pnpm fault ${lab.fault.flag} ${lab.fault.variant})`,
      );
    }
    return 0;
  }
  if (command === 'check') {
    return check(
      names.filter((name) => name !== '--compose'),
      names.includes('--compose'),
    );
  }
  complain(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    complain(error);
    process.exit(1);
  },
);
