import { NotAuthorizedError } from '../errors.ts';
import { singleHeader, type WebhookRequest } from '../http/request.ts';
import { matchesApiKey } from './api-key.ts';
import type { ApiKeySource } from './api-key-source.ts';

export type Authenticator = (request: WebhookRequest) => Promise<void>;

/** Passes when the `Authorization` header holds one of the keys; throws NotAuthorizedError otherwise. */
export const apiKeyAuthenticator =
  (source: ApiKeySource, headerName = 'authorization'): Authenticator =>
  async (request) => {
    const presented = singleHeader(request, headerName);
    // No credential at all is refused without loading the keys.
    if (!presented || !matchesApiKey(presented, await source.keys())) throw new NotAuthorizedError();
  };
