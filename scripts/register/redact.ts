import type { WriteRequest } from './fusionauth-plan.ts';

/** Enough of a secret to tell which one it is, never enough to use it; short ones show nothing. */
export const mask = (secret: string): string => (secret.length >= 16 ? `****${secret.slice(-4)}` : '****');

/**
 * A write's body as it may be printed: the webhook's header values (its API key) and its Basic
 * password masked. Tenant event settings hold no secret.
 */
export function redactedBody(request: WriteRequest): unknown {
  if (request.kind === 'patchTenant') return request.body;
  const { webhook = {} } = request.body;
  return {
    ...request.body,
    webhook: {
      ...webhook,
      headers: Object.fromEntries(Object.entries(webhook.headers ?? {}).map(([name, value]) => [name, mask(value)])),
      httpAuthenticationPassword: webhook.httpAuthenticationPassword && mask(webhook.httpAuthenticationPassword),
    },
  };
}
