import {
  cleanEnv,
  EnvError,
  EnvMissingError,
  bool as envalidBool,
  num as envalidNum,
  port as envalidPort,
  str as envalidStr,
  url as envalidUrl,
  makeValidator,
  type ValidatorSpec,
} from 'envalid';

/**
 * One variable of a service's configuration: how to parse it into a `T`, its default and its
 * description. Made by the validators below (envalid's, under a type of this package, so a
 * service's config type can be inferred from its spec and still be named in declaration files).
 */
export interface Setting<T> {
  readonly desc?: string;
  readonly _parse: (input: string) => T;
}

/** The configuration a spec describes: each variable as its parsed type. */
export type Config<S> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export interface SettingOptions<T> {
  default?: T;
  desc?: string;
  choices?: readonly T[];
}

const setting = <T>(made: unknown) => made as Setting<T>;

export function str<T extends string = string>(options: SettingOptions<T>): Setting<T> {
  return setting<T>(envalidStr(options as never));
}
export function num(options: SettingOptions<number>): Setting<number> {
  return setting(envalidNum(options as never));
}
export function port(options: SettingOptions<number>): Setting<number> {
  return setting(envalidPort(options as never));
}
export function url(options: SettingOptions<string>): Setting<string> {
  return setting(envalidUrl(options as never));
}
export function bool(options: SettingOptions<boolean>): Setting<boolean> {
  return setting(envalidBool(options as never));
}

/** The user-info part of a URL anywhere in a text: `scheme://` up to the last `@` of the authority. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'@]*(?:@[^\s/?#"'@]*)*)@/gi;

/**
 * `text` with the credentials of any URL in it masked: `postgres://mesh:***@db/mesh`, and
 * `redis://***@cache` when the user part alone is given (it may be a token). For messages that
 * echo a setting, such as a bad DATABASE_URL, so that they can be logged.
 */
export function maskCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, (_match, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return colon === -1 ? `${scheme}***@` : `${scheme}${userInfo.slice(0, colon)}:***@`;
  });
}

/** The problems of a configuration, each naming a variable; URL credentials are masked. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const masked = problems.map(maskCredentials);
    super(`Invalid configuration:\n  ${masked.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = masked;
  }
}

/**
 * Reads and validates a service's configuration from the environment, once, at start. Each
 * variable in `spec` has a type, a description (`desc`) and usually a default; a missing or bad
 * variable fails the start with a message that names it.
 */
export function loadConfig<S extends Record<string, Setting<unknown>>>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): Config<S> {
  const validators = spec as unknown as Record<string, ValidatorSpec<unknown>>;
  return cleanEnv(env, validators, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(([name, error]) => {
        const desc = (spec[name] as { desc?: string } | undefined)?.desc;
        const what = desc ? ` (${desc})` : '';
        if (error instanceof EnvMissingError) return `${name} is required${what}`;
        if (error instanceof EnvError) return `${name}: ${error.message}${what}`;
        return `${name}: ${String(error)}`;
      });
      if (problems.length > 0) throw new ConfigError(problems);
    },
  }) as unknown as Config<S>;
}

/**
 * A service's config loader: `export const loadXConfig = configLoader(spec)`, with its type
 * `ReturnType<typeof loadXConfig>`. The environment is a parameter so tests can pass their own.
 */
export function configLoader<S extends Record<string, Setting<unknown>>>(spec: S) {
  return (env: Record<string, string | undefined> = process.env): Config<S> =>
    loadConfig(spec, env);
}

interface NumberSpec {
  default?: number;
  desc?: string;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
}

function bounded(kind: 'integer' | 'number', { min, max }: NumberSpec) {
  return makeValidator<number>((input) => {
    const value = Number(input);
    const valid = kind === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
    if (input.trim() === '' || !valid)
      throw new EnvError(
        `must be ${kind === 'integer' ? 'an integer' : 'a number'}, got "${input}"`,
      );
    if (min !== undefined && value < min)
      throw new EnvError(`must be at least ${min}, got ${value}`);
    if (max !== undefined && value > max)
      throw new EnvError(`must be at most ${max}, got ${value}`);
    return value;
  });
}

/** A whole number within optional bounds, e.g. `int({ default: 600, min: 1, desc: '…' })`. */
export function int(spec: NumberSpec): Setting<number> {
  const { min: _min, max: _max, ...rest } = spec;
  return setting(bounded('integer', spec)(rest));
}

/** A number within optional bounds, e.g. a rate: `decimal({ default: 0.05, min: 0, max: 1 })`. */
export function decimal(spec: NumberSpec): Setting<number> {
  const { min: _min, max: _max, ...rest } = spec;
  return setting(bounded('number', spec)(rest));
}

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const BROKER = /^(\[[0-9a-fA-F:.]+\]|[^\s:,[\]]+):(\d{1,5})$/;

/**
 * Kafka bootstrap servers: `host:port` pairs separated by commas, as a list. Each pair is
 * checked, so a typo fails the start instead of surfacing as a connection error later.
 */
export function brokers(options: SettingOptions<string[]>): Setting<string[]> {
  const parse = makeValidator<string[]>((input) => {
    const list = input
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (list.length === 0) throw new EnvError('must name at least one broker as host:port');
    for (const entry of list) {
      const portNumber = Number(BROKER.exec(entry)?.[2]);
      if (!(portNumber >= 1 && portNumber <= 65_535)) {
        throw new EnvError(`must be host:port pairs separated by commas, got "${entry}"`);
      }
    }
    return list;
  });
  return setting(parse(options as never));
}
