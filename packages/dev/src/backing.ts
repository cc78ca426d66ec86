import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
const SERVICES_SCRIPT = join(REPO_ROOT, 'scripts', 'services.sh');

/** Addresses of PostgreSQL, Redis and Kafka, as the services' variables name them. */
export interface BackingAddresses {
  DATABASE_URL: string;
  REDIS_URL: string;
  KAFKA_BROKERS: string;
}

export interface Backing {
  addresses: BackingAddresses;
  /** True when the runner started them (and so should tell how to stop them). */
  startedHere: boolean;
}

/**
 * The backing services to run against. When DATABASE_URL, REDIS_URL and KAFKA_BROKERS are all
 * set, those (an explicit choice wins, as in the tests' @mesh/testkit); otherwise the native ones
 * of `scripts/services.sh start`, which installs what is missing and waits until each serves.
 * Their addresses come from `scripts/services.sh env`, so its port overrides apply here too.
 */
export function ensureBackingServices(
  env: NodeJS.ProcessEnv,
  say: (text: string) => void,
): Backing {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = env;
  if (DATABASE_URL && REDIS_URL && KAFKA_BROKERS) {
    say(
      'run: PostgreSQL, Redis and Kafka: the ones DATABASE_URL, REDIS_URL and KAFKA_BROKERS name\n',
    );
    return { addresses: { DATABASE_URL, REDIS_URL, KAFKA_BROKERS }, startedHere: false };
  }
  say(
    'run: PostgreSQL, Redis and Kafka natively: scripts/services.sh start (to use your own, set ' +
      'DATABASE_URL, REDIS_URL and KAFKA_BROKERS)\n',
  );
  // Its progress goes to the runner's stderr; stdout carries only the services' log lines.
  execFileSync(SERVICES_SCRIPT, ['start'], { stdio: ['ignore', process.stderr, 'inherit'] });
  const exported = execFileSync(SERVICES_SCRIPT, ['env'], { encoding: 'utf8' });
  const value = (name: string) => {
    const match = new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(exported);
    if (!match?.[1]) throw new Error(`scripts/services.sh env did not print ${name}`);
    return match[1];
  };
  return {
    addresses: {
      DATABASE_URL: value('MESH_TEST_POSTGRES_URL'),
      REDIS_URL: value('MESH_TEST_REDIS_URL'),
      KAFKA_BROKERS: value('MESH_TEST_KAFKA_BROKERS'),
    },
    startedHere: true,
  };
}
