import { ConfigError, loadConfig, num, str, url } from '../src';

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
