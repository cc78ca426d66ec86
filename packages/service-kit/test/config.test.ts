import { ConfigError, decimal, int, loadConfig, num, str, url } from '../src';

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
