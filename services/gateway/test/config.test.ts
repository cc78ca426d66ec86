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
