import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES } from '@mesh/e2e';
import { startChaosEnvironment } from './environment';
import { SCENARIOS } from './scenarios';
import {
  checkerCatchesPlantedViolation,
  describeResult,
  PROFILES,
  runScenario,
  violatedInvariants,
} from './suite';

// `pnpm --filter @mesh/chaos fault-suite [--profile short|long] [--only name,name]`
// Prints one line per scenario and a closing line; exits 1 when any invariant was violated.

const say = (line: string) => process.stdout.write(`${line}\n`);
const warn = (...parts: unknown[]) => process.stderr.write(`${parts.join(' ')}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'short' },
      only: { type: 'string' },
    },
  });
  const profile = PROFILES[values.profile as keyof typeof PROFILES];
  if (!profile) throw new Error(`unknown profile "${values.profile}" (short or long)`);
  const wanted = values.only?.split(',').map((name) => name.trim());
  const scenarios = wanted ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  const unknown = wanted?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0 || scenarios.length === 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }

  say(
    `fault suite: profile ${profile.name}, ${profile.ratePerSecond} orders/s for ` +
      `${profile.loadMs / 1000} s per scenario, ${scenarios.length} scenarios`,
  );
  const env = await startChaosEnvironment();
  let checked = 0;
  let violated = 0;
  try {
    for (const scenario of scenarios) {
      say(`fault suite: ${scenario.name}: ${scenario.what}`);
      const result = await runScenario(env, scenario, profile);
      for (const line of describeResult(result)) say(line);
      checked += result.checked;
      violated += violatedInvariants(result);
    }
    const last = scenarios.at(-1)?.name as string;
    if (await checkerCatchesPlantedViolation(env, last)) {
      say('fault suite: self-check: an extra notification planted in the database was reported');
    } else {
      say('fault suite: self-check FAILED: a planted extra notification went unreported');
      violated += 1;
    }
  } finally {
    // Every service's log of the run, for whoever reads a violation.
    const logs = await mkdtemp(join(tmpdir(), 'mesh-fault-suite-'));
    for (const name of SERVICES) {
      await writeFile(join(logs, `${name}.log`), env.stack.services[name].output());
    }
    say(`fault suite: the services' logs are in ${logs}`);
    await env.stop();
  }
  say(
    `fault suite: ${scenarios.length} scenarios, ${checked} invariants checked, ${violated} violated`,
  );
  return violated === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    warn('fault suite: could not run:', error instanceof Error ? error.stack : error);
    process.exit(2);
  },
);
