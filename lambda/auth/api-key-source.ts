import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { CredentialsUnavailableError } from '../errors.ts';
import { parseApiKeys } from './api-key.ts';

/** Where the valid API keys come from; asked on every request, so a source caches. */
export interface ApiKeySource {
  keys(): Promise<readonly string[]>;
}

/** Keys from the environment (`WEBHOOK_API_KEYS`): local runs and `sam local`. */
export const staticApiKeys = (keys: readonly string[]): ApiKeySource => ({ keys: async () => keys });

/**
 * Keys from a Secrets Manager secret whose value lists them like `WEBHOOK_API_KEYS`. Powertools
 * caches the value for `maxAgeSeconds`, so a container asks Secrets Manager once per period; a
 * key added to the secret is accepted everywhere within that period.
 */
export function secretApiKeys(secretId: string, maxAgeSeconds: number): ApiKeySource {
  let parsedFrom: string | undefined;
  let parsed: readonly string[] = [];
  return {
    async keys() {
      let value: unknown;
      try {
        value = await getSecret(secretId, { maxAge: maxAgeSeconds });
      } catch (error) {
        throw new CredentialsUnavailableError('the API key secret could not be read', { cause: error });
      }
      if (typeof value !== 'string') throw new CredentialsUnavailableError('the API key secret has no string value');
      if (value !== parsedFrom) {
        parsed = parseApiKeys(value);
        parsedFrom = value;
      }
      if (parsed.length === 0) throw new CredentialsUnavailableError('the API key secret lists no key');
      return parsed;
    },
  };
}
