import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventType, TransactionType, type Webhook } from '@fusionauth/typescript-client';
import { onTestFinished } from 'vitest';
import type { ErasureRecord } from '../../lambda/erasure/ledger.ts';
import { localClient } from '../../local/dynamodb.ts';
import { addTodos, countTodos } from '../../local/todo-admin.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from './dynamo.ts';
import { type FakeFusionAuth, fusionAuthTenant, fusionAuthUser, startFakeFusionAuth } from './fake-fusionauth.ts';
import { type LocalWebhook, startLocalWebhook, TEST_KEY, TODO_APP } from './local-webhook.ts';

/**
 * A FusionAuth stand-in whose tenant sends its deletions to the webhook over HTTP, the webhook
 * and its worker over a dynalite, and users with Todos: the world a lifecycle scenario runs in.
 */
export const TENANT = '7d3f2c1e-5b4a-4e6f-9a8b-1c2d3e4f5a6b';
export const CONFIRM_KEY = 'confirmation-key-0123456789abcdef';
export const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export interface WorldOptions {
  /** The tenant's transaction type for user.delete and user.registration.delete. */
  readonly level?: TransactionType;
  /** Whether the tenant sends the .complete events. */
  readonly completeEvents?: boolean;
  /** Whether the webhook may ask FusionAuth's API. */
  readonly api?: boolean;
  /** Users and their Todo counts. */
  readonly users?: readonly number[];
  readonly windowSeconds?: number;
  readonly readTimeout?: number;
  readonly env?: Record<string, string>;
  readonly dynamo?: TestDynamoDb;
  /** How much longer each ledger write takes, so that the webhook answers late. */
  readonly slowLedgerMs?: number;
  /** Where the functions send their DynamoDB requests (a throughput-limited front); else the server. */
  readonly functionsEndpoint?: string;
}

export interface World {
  readonly fa: FakeFusionAuth;
  readonly webhook: LocalWebhook;
  readonly hook: Webhook;
  readonly ids: readonly string[];
  /** The Todo table, whole. */
  todos(): Promise<string[]>;
  count(user: string): Promise<number>;
  record(user: string, scope?: 'user' | 'registration'): Promise<ErasureRecord | undefined>;
  /** Until FusionAuth has sent everything and the worker has run every job, delayed ones too. */
  quiet(): Promise<void>;
  call(method: string, path: string, body?: unknown): Promise<number>;
}

const ERASURE_EVENTS = [EventType.UserDelete, EventType.UserRegistrationDelete];
const COMPLETE_EVENTS = [EventType.UserDeleteComplete, EventType.UserRegistrationDeleteComplete];

export async function world(options: WorldOptions = {}): Promise<World> {
  const { level = TransactionType.AbsoluteMajority, completeEvents = true, api = false, users = [5, 3], windowSeconds = 3 } = options;
  const ids = users.map((_, n) => userId(n + 1));
  const events = Object.fromEntries([
    ...ERASURE_EVENTS.map((type) => [type, { enabled: true, transactionType: level }]),
    ...COMPLETE_EVENTS.map((type) => [type, { enabled: completeEvents, transactionType: TransactionType.None }]),
  ]);
  const fa = await startFakeFusionAuth({
    tenants: [fusionAuthTenant(TENANT, 'Default', events)],
    users: ids.map((id) => fusionAuthUser({ id, tenantId: TENANT, email: `${id}@example.com`, registrations: [{ applicationId: TODO_APP }] })),
    apiKeys: [{ key: CONFIRM_KEY, permissions: { endpoints: { '/api/user': ['GET'] } } }],
  });
  const dynamo = options.dynamo ?? (await startTestDynamoDb());
  const webhook = await startLocalWebhook({
    dynamo,
    functionsClient: options.slowLedgerMs
      ? slowLedgerClient(options.functionsEndpoint ?? dynamo.endpoint, options.slowLedgerMs)
      : options.functionsEndpoint
        ? localClient(options.functionsEndpoint)
        : undefined,
    env: {
      ERASURE_CONFIRM_DELAY_SECONDS: '1',
      ERASURE_CONFIRM_WINDOW_SECONDS: String(windowSeconds),
      ...(api && { FUSIONAUTH_URL: fa.url, FUSIONAUTH_API_KEY: CONFIRM_KEY }),
      ...options.env,
    },
  });
  onTestFinished(async () => {
    await fa.close();
    await webhook.close();
    if (!options.dynamo) await dynamo.close();
  });
  const hook = fa.addWebhook({
    url: webhook.url,
    connectTimeout: 1000,
    readTimeout: options.readTimeout ?? 2000,
    headers: { Authorization: TEST_KEY },
    eventsEnabled: Object.fromEntries([...ERASURE_EVENTS, ...COMPLETE_EVENTS].map((type) => [type, true])) as Webhook['eventsEnabled'],
    tenantIds: [TENANT],
  });
  const target = webhook.targets[0]!;
  for (const [n, count] of users.entries()) await addTodos(webhook.client, target, { userId: ids[n]! }, count);
  await addTodos(webhook.client, target, { userId: 'bystander' }, 4);
  return {
    fa,
    webhook,
    hook,
    ids,
    todos: () => snapshot(webhook.client, 'Todos'),
    count: (user) => countTodos(webhook.client, target, { userId: user }),
    record: (user, scope = 'user') => webhook.ledger.get(user, scope),
    async quiet() {
      await fa.settled();
      await webhook.settled();
    },
    async call(method, path, body) {
      const response = await fetch(`${fa.url}${path}`, {
        method,
        headers: { authorization: fa.apiKey, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await response.body?.cancel();
      return response.status;
    },
  };
}

/** A client whose ledger writes take `delayMs` longer: an answer slower than FusionAuth's read timeout. */
function slowLedgerClient(endpoint: string, delayMs: number): DynamoDBClient {
  const client = localClient(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutItemCommand') await new Promise((resolve) => setTimeout(resolve, delayMs));
      return next(args);
    },
    { step: 'initialize', name: 'slowLedgerWrites' },
  );
  return client;
}
