import { ConfigError } from '@mesh/service-kit';
import { readConfig } from '../src/config';

describe('configuration', () => {
  it('when nothing is set, then the local development defaults apply', () => {
    expect(readConfig({})).toMatchObject({
      PORT: 8083,
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
      REDIS_URL: 'redis://127.0.0.1:16379',
      REDIS_KEY_PREFIX: 'inventory:',
      LOG_LEVEL: 'info',
      MIGRATE_ON_START: true,
      CACHE_TTL_SECONDS: 60,
      RESERVATION_TTL_MS: 900_000,
      RESERVATION_SWEEP_INTERVAL_MS: 30_000,
      KAFKA_BROKERS: ['127.0.0.1:19092'],
      KAFKA_GROUP_ID: 'inventory',
      ORDER_EVENTS_TOPIC: 'order-events',
      TOPIC_PARTITIONS: 3,
      TOPIC_REPLICATION_FACTOR: 1,
      MESSAGE_MAX_ATTEMPTS: 3,
      FLAGS_FILE: expect.stringMatching(/infra\/flags\/mesh\.flagd\.json$/),
    });
  });

  it('when variables are set, then they are parsed to their types', () => {
    const config = readConfig({
      PORT: '9000',
      MIGRATE_ON_START: 'false',
      CACHE_TTL_SECONDS: '5',
      KAFKA_GROUP_ID: 'inventory-blue',
      MESSAGE_MAX_ATTEMPTS: '5',
    });
    expect(config).toMatchObject({
      PORT: 9000,
      MIGRATE_ON_START: false,
      CACHE_TTL_SECONDS: 5,
      KAFKA_GROUP_ID: 'inventory-blue',
      MESSAGE_MAX_ATTEMPTS: 5,
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['REDIS_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['CACHE_TTL_SECONDS', '0'],
    ['RESERVATION_TTL_MS', '-1'],
    ['RESERVATION_SWEEP_INTERVAL_MS', '1.5'],
    ['TOPIC_PARTITIONS', '0'],
    ['TOPIC_REPLICATION_FACTOR', 'three'],
    ['MESSAGE_MAX_ATTEMPTS', '-2'],
  ])('when %s is %s, then the start fails naming it', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(name);
  });
});
