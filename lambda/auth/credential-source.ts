import { CredentialsUnavailableError } from '../errors.ts';

/**
 * The credentials a request may present (API keys, HMAC signing secrets, Basic `user:password`
 * pairs). Asked on every request, so a source caches. Several at once let a credential rotate
 * with no downtime: add the new one, move Passport over, remove the old one.
 */
export interface CredentialSource {
  list(): Promise<readonly string[]>;
}

/** Where a list of credentials is configured: a variable (local runs, `sam local`) or a secret. */
export type CredentialConfig =
  | { readonly source: 'environment'; readonly values: readonly string[] }
  | { readonly source: 'secret'; readonly secretId: string; readonly maxAgeSeconds: number };

export type CredentialParser = (text: string) => string[];

const split = (text: string, separator: RegExp): string[] =>
  text
    .split(separator)
    .map((value) => value.trim())
    .filter((value) => value.length > 0);

/** API keys and signing secrets: comma- or newline-separated. */
export const parseList: CredentialParser = (text) => split(text, /[,\n]/);

/** Basic `user:password` pairs: one per line, since a password may hold a comma. */
export const parseLines: CredentialParser = (text) => split(text, /\n/);

/**
 * The current credential of a list configured in the environment (the first, as rotation puts the
 * new one first), for local tools that send or print it; undefined when it lives in a secret.
 */
export const currentFromEnvironment = (config: CredentialConfig | undefined): string | undefined =>
  config?.source === 'environment' ? config.values[0] : undefined;

/** A source for `config`; `what` names the credential in a log line when its secret fails. */
export function credentialSource(config: CredentialConfig, parse: CredentialParser, what: string): CredentialSource {
  if (config.source === 'environment') return { list: async () => config.values };
  return secretCredentials(config.secretId, config.maxAgeSeconds, parse, what);
}

/**
 * Credentials from a Secrets Manager secret. Powertools caches the value for `maxAgeSeconds`, so a
 * container asks Secrets Manager once per period and sees a rotation within it.
 */
function secretCredentials(secretId: string, maxAgeSeconds: number, parse: CredentialParser, what: string): CredentialSource {
  let parsedFrom: string | undefined;
  let parsed: readonly string[] = [];
  return {
    async list() {
      let value: unknown;
      try {
        // Loaded on the first read: a webhook whose credentials are all in its environment never evaluates it.
        const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
        value = await getSecret(secretId, { maxAge: maxAgeSeconds });
      } catch (error) {
        throw new CredentialsUnavailableError(`the ${what} secret could not be read`, { cause: error });
      }
      if (typeof value !== 'string') throw new CredentialsUnavailableError(`the ${what} secret has no string value`);
      if (value !== parsedFrom) {
        parsed = parse(value);
        parsedFrom = value;
      }
      if (parsed.length === 0) throw new CredentialsUnavailableError(`the ${what} secret lists none`);
      return parsed;
    },
  };
}
