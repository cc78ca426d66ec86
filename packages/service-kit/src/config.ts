import { cleanEnv, EnvError, EnvMissingError, makeValidator, type ValidatorSpec } from 'envalid';

export { bool, num, port, str, url } from 'envalid';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates a service's configuration from the environment, once, at start. Each
 * variable in `spec` has a type, a description (`desc`) and usually a default; a missing or bad
 * variable fails the start with a message that names it.
 */
export function loadConfig<S extends Record<string, ValidatorSpec<unknown>>>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
) {
  return cleanEnv(env, spec, {
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
  });
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
export function int(spec: NumberSpec) {
  const { min: _min, max: _max, ...rest } = spec;
  return bounded('integer', spec)(rest);
}

/** A number within optional bounds, e.g. a rate: `decimal({ default: 0.05, min: 0, max: 1 })`. */
export function decimal(spec: NumberSpec) {
  const { min: _min, max: _max, ...rest } = spec;
  return bounded('number', spec)(rest);
}
