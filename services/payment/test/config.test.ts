import { ConfigError } from '@mesh/service-kit';
import { loadPaymentConfig } from '../src/config';

describe('loadPaymentConfig', () => {
  it('when nothing is set, then the local development defaults apply', () => {
    expect(loadPaymentConfig({})).toMatchObject({
      PORT: 8082,
      HOST: '127.0.0.1',
      REDIS_KEY_PREFIX: 'payment:',
      MIGRATE_ON_START: true,
      PAYMENT_LATENCY_MS: 120,
      PAYMENT_LATENCY_JITTER_MS: 80,
      PAYMENT_DECLINE_RATE: 0.05,
      PAYMENT_LOCK_TTL_MS: 10_000,
    });
  });

  it('when the variables are set, then they are used', () => {
    const config = loadPaymentConfig({
      PORT: '9000',
      PAYMENT_DECLINE_RATE: '1',
      PAYMENT_LATENCY_MS: '800',
    });
    expect(config).toMatchObject({ PORT: 9000, PAYMENT_DECLINE_RATE: 1, PAYMENT_LATENCY_MS: 800 });
  });

  it.each(['1.5', '-0.1', 'often'])(
    'when PAYMENT_DECLINE_RATE is %s, then a ConfigError names it',
    (rate) => {
      const load = () => loadPaymentConfig({ PAYMENT_DECLINE_RATE: rate });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/PAYMENT_DECLINE_RATE/);
    },
  );

  it('when a latency is negative, then a ConfigError names it', () => {
    expect(() => loadPaymentConfig({ PAYMENT_LATENCY_JITTER_MS: '-5' })).toThrow(
      /PAYMENT_LATENCY_JITTER_MS/,
    );
  });
});
