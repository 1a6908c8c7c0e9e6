import { ConfigurationError } from './errors.ts';

/** The process environment, or a test's stand-in for it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** An empty variable counts as unset: CDK declares some empty so `sam local --env-vars` can fill them. */
export const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

export const wholeNumber = (env: Env, name: string, fallback: number, unit = 'seconds'): number => {
  const text = read(env, name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ConfigurationError(`${name} must be a whole number of ${unit}.`);
  return value;
};

export const readBoolean = (env: Env, name: string): boolean => {
  const value = read(env, name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigurationError(`${name} must be true or false.`);
};
