import { cleanEnv, EnvError, EnvMissingError, type ValidatorSpec } from 'envalid';

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
