import { randomUUID } from 'node:crypto';
import { examplePayload } from '../../test/support/events.ts';
import { type RunningLocalServer, startLocalServer } from '../../test/support/local-server.ts';

export const WEBHOOK_KEY = 'bench-webhook-key-0123456789abcdef';

/** FusionAuth's documented user.delete, as a new event (its own id) about `userId`. */
export function userDeleteBody(userId: string): string {
  const body = JSON.parse(examplePayload('user.delete.json')) as { event: { id: string; user: { id: string } } };
  body.event.id = randomUUID();
  body.event.user.id = userId;
  return JSON.stringify(body);
}

export interface Webhook {
  readonly server: RunningLocalServer;
  /** POSTs a new user.delete as FusionAuth does; resolves with the answer's status and time. */
  deleteUser(userId: string): Promise<{ readonly ms: number; readonly status: number }>;
}

/** `npm start` as a person runs it, on `dynamoDbEndpoint`, with WEBHOOK_KEY. */
export async function startWebhook(dynamoDbEndpoint: string, env: Record<string, string> = {}): Promise<Webhook> {
  const server = await startLocalServer({
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    WEBHOOK_API_KEYS: WEBHOOK_KEY,
    // One line per delivery would come through a pipe into this process, which times the answers.
    POWERTOOLS_LOG_LEVEL: 'WARN',
    ...env,
  });
  const url = server.url.replace('//localhost:', '//127.0.0.1:');
  return {
    server,
    async deleteUser(userId) {
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', body: userDeleteBody(userId), headers: { authorization: WEBHOOK_KEY, 'content-type': 'application/json' } });
      await response.arrayBuffer();
      return { ms: performance.now() - started, status: response.status };
    },
  };
}
