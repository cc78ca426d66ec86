import {
  brokers,
  ConfigError,
  decimal,
  httpServerSpec,
  int,
  kafkaConsumerSpec,
  kafkaSpec,
  loadConfig,
  logSpec,
  maskCredentials,
  num,
  postgresSpec,
  redisSpec,
  str,
  url,
} from '../src';

const spec = {
  PORT: num({ default: 8080, desc: 'HTTP port' }),
  DATABASE_URL: url({ desc: 'PostgreSQL connection URL' }),
  MODE: str({ choices: ['fast', 'slow'], default: 'fast', desc: 'how to run' }),
};

describe('loadConfig', () => {
  it('when every variable is valid or defaulted, then the typed values come back', () => {
    const config = loadConfig(spec, { DATABASE_URL: 'postgres://db/x', PORT: '9000' });
    expect(config).toMatchObject({ PORT: 9000, DATABASE_URL: 'postgres://db/x', MODE: 'fast' });
  });

  it('when variables are missing or bad, then one ConfigError names each of them', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: 'eighty', MODE: 'medium' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(message).toMatch(/DATABASE_URL is required \(PostgreSQL connection URL\)/);
    expect(message).toMatch(/PORT: .*eighty/);
    expect(message).toMatch(/MODE: /);
  });
});

describe('bounded numbers', () => {
  const bounded = {
    WORKERS: int({ default: 4, min: 1, max: 64, desc: 'workers' }),
    RATE: decimal({ default: 0.05, min: 0, max: 1, desc: 'share declined' }),
  };

  it('when values are within bounds, then they are parsed, and defaults apply', () => {
    expect(loadConfig(bounded, {})).toMatchObject({ WORKERS: 4, RATE: 0.05 });
    expect(loadConfig(bounded, { WORKERS: '64', RATE: '1' })).toMatchObject({
      WORKERS: 64,
      RATE: 1,
    });
  });

  it.each([
    ['WORKERS', '2.5', /WORKERS: must be an integer, got "2.5"/],
    ['WORKERS', '0', /WORKERS: must be at least 1, got 0/],
    ['WORKERS', 'many', /WORKERS: must be an integer/],
    ['RATE', '1.5', /RATE: must be at most 1, got 1.5 \(share declined\)/],
    ['RATE', '', /RATE: must be a number/],
  ])('when %s is "%s", then the start fails naming it', (name, value, message) => {
    expect(() => loadConfig(bounded, { [name]: value })).toThrow(message);
  });
});

describe('brokers', () => {
  const spec = { KAFKA_BROKERS: brokers({ default: ['127.0.0.1:19092'], desc: 'Kafka' }) };

  it('when brokers are listed, then they come back as a list, trimmed, empty entries dropped', () => {
    expect(
      loadConfig(spec, { KAFKA_BROKERS: ' kafka-1:9092, 10.0.0.2:29092 ,[::1]:9093,' }),
    ).toEqual({ KAFKA_BROKERS: ['kafka-1:9092', '10.0.0.2:29092', '[::1]:9093'] });
    expect(loadConfig(spec, {}).KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
  });

  it.each([
    ['kafka', /KAFKA_BROKERS: must be host:port pairs separated by commas, got "kafka" \(Kafka\)/],
    ['kafka:9092,kafka-2', /got "kafka-2"/],
    ['kafka:0', /got "kafka:0"/],
    ['kafka:70000', /got "kafka:70000"/],
    ['http://kafka:9092', /got "http:\/\/kafka:9092"/],
    [' , ', /KAFKA_BROKERS: must name at least one broker/],
  ])('when KAFKA_BROKERS is "%s", then the start fails naming it', (value, message) => {
    expect(() => loadConfig(spec, { KAFKA_BROKERS: value })).toThrow(message);
  });
});

describe('shared specs', () => {
  const spec = {
    ...httpServerSpec(8082),
    ...logSpec,
    ...postgresSpec('payments'),
    ...redisSpec({ keyPrefix: 'payment:', purpose: 'for the per-order lock' }),
    ...kafkaSpec,
    ...kafkaConsumerSpec('payment'),
  };

  it('when nothing is set, then the native set-up defaults apply, typed', () => {
    expect(loadConfig(spec, {})).toEqual({
      PORT: 8082,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://mesh:mesh@127.0.0.1:15432/mesh',
      MIGRATE_ON_START: true,
      REDIS_URL: 'redis://127.0.0.1:16379',
      REDIS_KEY_PREFIX: 'payment:',
      KAFKA_BROKERS: ['127.0.0.1:19092'],
      ORDER_EVENTS_TOPIC: 'order-events',
      TOPIC_PARTITIONS: 3,
      TOPIC_REPLICATION_FACTOR: 1,
      KAFKA_GROUP_ID: 'payment',
      MESSAGE_MAX_ATTEMPTS: 3,
      KAFKA_CONSUMER_CONCURRENCY: 16,
    });
  });

  it.each([
    ['PORT', 'http', /PORT: .*"http".* \(HTTP port\)/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: .*loud.* \(pino log level\)/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL: .* \(PostgreSQL; .* schema "payments"\)/],
    ['MIGRATE_ON_START', 'maybe', /MIGRATE_ON_START: .*maybe/],
    ['REDIS_URL', 'nowhere', /REDIS_URL: .* \(Redis, for the per-order lock\)/],
    ['TOPIC_PARTITIONS', '0', /TOPIC_PARTITIONS: must be at least 1, got 0/],
    ['TOPIC_REPLICATION_FACTOR', 'three', /TOPIC_REPLICATION_FACTOR: must be an integer/],
    ['MESSAGE_MAX_ATTEMPTS', '-2', /MESSAGE_MAX_ATTEMPTS: must be at least 1/],
    ['KAFKA_CONSUMER_CONCURRENCY', '0', /KAFKA_CONSUMER_CONCURRENCY: must be at least 1/],
  ])(
    'when %s is "%s", then the ConfigError names it and says what it is',
    (name, value, message) => {
      expect(() => loadConfig(spec, { [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig(spec, { [name]: value })).toThrow(message);
    },
  );
});

describe('credentials in configuration errors', () => {
  it('when a URL setting with a password is bad, then the ConfigError names it without the password', () => {
    const spec = { ...postgresSpec('orders') };
    let error: unknown;
    try {
      loadConfig(spec, { DATABASE_URL: 'postgres://mesh:s3cr3t@db host:5432/mesh' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems).toEqual([expect.stringContaining('postgres://mesh:***@db host:5432/mesh')]);
    expect(message).toMatch(/^Invalid configuration:\n {2}DATABASE_URL: /);
    expect(message).not.toContain('s3cr3t');
  });

  it.each([
    ['postgres://mesh:s3cr3t@db:5432/mesh', 'postgres://mesh:***@db:5432/mesh'],
    ['redis://:s3cr3t@cache:6379', 'redis://:***@cache:6379'],
    ['https://tok3n@git.example/repo', 'https://***@git.example/repo'],
    ['amqp://user:p@ss@broker/vhost', 'amqp://user:***@broker/vhost'],
    [
      'got "postgres://a:b@h/d" and "redis://c:d@h"',
      'got "postgres://a:***@h/d" and "redis://c:***@h"',
    ],
    ['http://127.0.0.1:8081/orders?next=a@b', 'http://127.0.0.1:8081/orders?next=a@b'],
    ['no url here: user@example.com', 'no url here: user@example.com'],
  ])('when a text holds %j, then it reads %j', (text, masked) => {
    expect(maskCredentials(text)).toBe(masked);
  });
});
