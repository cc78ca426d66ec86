import { RedisContainer } from '@testcontainers/redis';
import { type BackingSource, chooseSource, requireEnv, uniqueName } from './backing';

export const REDIS_IMAGE = 'redis:8.2-alpine';

export interface TestRedis {
  url: string;
  /** Prefix this test's keys with it: the native server is shared by parallel test files. */
  keyPrefix: string;
  source: BackingSource;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const source = await chooseSource('MESH_TEST_REDIS_URL');
  const keyPrefix = `${uniqueName('test')}:`;
  if (source === 'testcontainers') {
    const container = await new RedisContainer(REDIS_IMAGE).start();
    return {
      url: container.getConnectionUrl(),
      keyPrefix,
      source,
      stop: async () => void (await container.stop()),
    };
  }
  return { url: requireEnv('MESH_TEST_REDIS_URL'), keyPrefix, source, stop: async () => {} };
}
