import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES } from '@mesh/e2e';
import { startChaosEnvironment } from './environment';
import { SCENARIOS } from './scenarios';
import { describeResult, PROFILES, runScenario, violatedInvariants } from './suite';

// `pnpm --filter @mesh/chaos fault-suite [--profile short|long] [--only name,name]`
// Prints one line per scenario and a closing line; exits 1 when any invariant was violated.

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

  console.log(
    `fault suite: profile ${profile.name}, ${profile.ratePerSecond} orders/s for ` +
      `${profile.loadMs / 1000} s per scenario, ${scenarios.length} scenarios`,
  );
  const env = await startChaosEnvironment();
  let checked = 0;
  let violated = 0;
  try {
    for (const scenario of scenarios) {
      console.log(`fault suite: ${scenario.name}: ${scenario.what}`);
      const result = await runScenario(env, scenario, profile);
      for (const line of describeResult(result)) console.log(line);
      checked += result.checked;
      violated += violatedInvariants(result);
    }
  } finally {
    // Every service's log of the run, for whoever reads a violation.
    const logs = await mkdtemp(join(tmpdir(), 'mesh-fault-suite-'));
    for (const name of SERVICES) {
      await writeFile(join(logs, `${name}.log`), env.stack.services[name].output());
    }
    console.log(`fault suite: the services' logs are in ${logs}`);
    await env.stop();
  }
  console.log(
    `fault suite: ${scenarios.length} scenarios, ${checked} invariants checked, ${violated} violated`,
  );
  return violated === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('fault suite: could not run:', error);
    process.exit(2);
  },
);
