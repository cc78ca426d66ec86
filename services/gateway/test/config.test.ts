import { ConfigError } from '@mesh/service-kit';
import { loadGatewayConfig } from '../src/config';

describe('configuration', () => {
  it('when nothing is set, then the local defaults apply, with the workshop key', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      REDIS_KEY_PREFIX: 'gateway:',
      ORDER_URL: 'http://127.0.0.1:8081',
      INVENTORY_URL: 'http://127.0.0.1:8083',
      ORDER_TIMEOUT_MS: 8000,
      INVENTORY_TIMEOUT_MS: 2000,
      RATE_LIMIT_MAX: 600,
      RATE_LIMIT_WINDOW_MS: 60_000,
      BODY_LIMIT_BYTES: 16_384,
      MAX_IN_FLIGHT: 512,
      HEADERS_TIMEOUT_MS: 5_000,
      CONNECTION_TIMEOUT_MS: 30_000,
      apiKeys: ['mesh-demo-key'],
      traceTrustedApiKeys: ['mesh-demo-key'],
      traceBaggageKeys: [],
      TRACE_BAGGAGE_MAX_ENTRIES: 8,
      TRACE_BAGGAGE_MAX_BYTES: 1024,
    });
  });

  describe('whom trace context is taken from', () => {
    const API_KEYS = 'storefront,k6,partner';

    it('when TRACE_TRUSTED_API_KEYS is unset, then every accepted key is trusted', () => {
      expect(loadGatewayConfig({ API_KEYS }).traceTrustedApiKeys).toEqual([
        'storefront',
        'k6',
        'partner',
      ]);
    });

    it('when it lists some of the keys, then only those are trusted', () => {
      expect(
        loadGatewayConfig({ API_KEYS, TRACE_TRUSTED_API_KEYS: ' storefront, k6 ' })
          .traceTrustedApiKeys,
      ).toEqual(['storefront', 'k6']);
    });

    it('when it is "none", then no caller is trusted', () => {
      expect(
        loadGatewayConfig({ API_KEYS, TRACE_TRUSTED_API_KEYS: 'none' }).traceTrustedApiKeys,
      ).toEqual([]);
    });

    it('when it names a key the gateway does not accept, then the start fails without echoing it', () => {
      let thrown: unknown;
      try {
        loadGatewayConfig({ API_KEYS, TRACE_TRUSTED_API_KEYS: 'storefront,typo-secret' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).problems).toEqual([
        'TRACE_TRUSTED_API_KEYS: every key must also be in API_KEYS',
      ]);
    });

    it('when TRACE_BAGGAGE_KEYS lists keys, then they are the allow-list, trimmed', () => {
      expect(
        loadGatewayConfig({ TRACE_BAGGAGE_KEYS: 'session.id, mesh.campaign,' }).traceBaggageKeys,
      ).toEqual(['session.id', 'mesh.campaign']);
    });
  });

  it('when API_KEYS lists keys, then each is accepted, trimmed', () => {
    expect(loadGatewayConfig({ API_KEYS: ' one, two ,' }).apiKeys).toEqual(['one', 'two']);
  });

  it.each([
    ['RATE_LIMIT_MAX', 'abc'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_MS', '0'],
    ['ORDER_TIMEOUT_MS', '2.5'],
    ['BODY_LIMIT_BYTES', 'lots'],
    ['PORT', '99999'],
    ['ORDER_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['API_KEYS', ' , '],
    ['MAX_IN_FLIGHT', '0'],
    ['HEADERS_TIMEOUT_MS', 'slow'],
    ['CONNECTION_TIMEOUT_MS', '8000'],
    ['TRACE_BAGGAGE_MAX_ENTRIES', '-1'],
    ['TRACE_BAGGAGE_MAX_BYTES', 'a lot'],
  ])('when %s is %j, then the start fails with a ConfigError naming it', (name, value) => {
    let thrown: unknown;
    try {
      loadGatewayConfig({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      expect.stringMatching(new RegExp(`^${name}`)),
    ]);
  });
});
