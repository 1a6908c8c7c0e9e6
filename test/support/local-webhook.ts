import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Authenticator } from '../../lambda/auth/authenticate.ts';
import type { DeliveryHandler } from '../../lambda/delivery.ts';
import { logger } from '../../lambda/observability.ts';
import { DynamoDbErasureLedger } from '../../lambda/erasure/dynamodb-ledger.ts';
import { readErasureConfig } from '../../lambda/erasure/erasure-config.ts';
import type { ResolvedTarget } from '../../lambda/targets/table-schema.ts';
import { resolveTargets } from '../../lambda/targets/table-schema.ts';
import { createWebhook } from '../../lambda/wiring/webhook-wiring.ts';
import { createWorker } from '../../lambda/wiring/worker-wiring.ts';
import { WEBHOOK_PATH } from '../../infra/names.ts';
import { ensureLedgerTable, ensureTodoTable } from '../../local/dynamodb.ts';
import { InProcessJobQueue, type InProcessQueueOptions } from '../../local/in-process-queue.ts';
import { createWebhookServer } from '../../local/webhook-server.ts';
import { startTestDynamoDb, type TestDynamoDb } from './dynamo.ts';

export const TEST_KEY = 'test-key-0123456789';
export const TODO_APP = '3c219e58-ed0e-4b18-ad48-f4f92793ae32';

export interface LocalWebhookOptions {
  /** Added to the defaults: the shorthand table Todos, the ledger Erasures, TEST_KEY, TODO_APP. */
  readonly env?: Record<string, string>;
  /** A server shared between webhooks of one file; else one of its own, closed with the webhook. */
  readonly dynamo?: TestDynamoDb;
  /** The client the functions use (faults injected on it); else the server's own. */
  readonly functionsClient?: DynamoDBClient;
  /** Creates the tables of explicit targets before the functions start (they check them at init). */
  readonly prepare?: (client: DynamoDBClient) => Promise<void>;
  readonly queue?: InProcessQueueOptions;
  /** Checks other than the environment's API key. */
  readonly authenticator?: Authenticator;
  /** The shared logger's level while the webhook runs (tests set SILENT). */
  readonly logLevel?: 'INFO' | 'DEBUG';
}

export interface Answer {
  readonly status: number;
  readonly body: any;
}

export interface LocalWebhook {
  /** The webhook's URL over real HTTP, shaped as API Gateway's route. */
  readonly url: string;
  readonly dynamo: TestDynamoDb;
  readonly client: DynamoDBClient;
  readonly queue: InProcessJobQueue;
  readonly ledger: DynamoDbErasureLedger;
  readonly handler: DeliveryHandler;
  readonly targets: readonly ResolvedTarget[];
  readonly env: Readonly<Record<string, string>>;
  /** The bodies it was sent, oldest first: what a redelivery sends again. */
  readonly received: { readonly type: string | undefined; readonly body: string }[];
  /** Resolves once every request it was sent has been answered, and every job they queued has ended. */
  settled(): Promise<void>;
  /** POSTs a body (an object is sent as `{"event": object}`) with the API key. */
  post(event: object | string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The webhook and the worker as the Lambda entries wire them (lambda/wiring), over a dynalite,
 * with the job queue in process as `npm start` has it, behind the API Gateway-shaped HTTP server.
 */
export async function startLocalWebhook(options: LocalWebhookOptions = {}): Promise<LocalWebhook> {
  const dynamo = options.dynamo ?? (await startTestDynamoDb());
  const env: Record<string, string> = {
    ...(options.env?.DELETION_TARGETS ? {} : { TODO_TABLE_NAME: 'Todos' }),
    ERASURE_LEDGER_TABLE_NAME: 'Erasures',
    WEBHOOK_API_KEYS: TEST_KEY,
    TODO_APPLICATION_ID: TODO_APP,
    ...options.env,
  };
  const config = readErasureConfig(env);
  if (config.targets.shorthand) await ensureTodoTable(dynamo.client, config.targets.shorthand);
  await ensureLedgerTable(dynamo.client, config.ledgerTableName);
  await options.prepare?.(dynamo.client);

  const queue = new InProcessJobQueue({ retryDelayMs: 50, ...options.queue });
  const dynamoDb = options.functionsClient ?? dynamo.client;
  if (options.logLevel) logger.setLogLevel(options.logLevel);
  const handler = await createWebhook(env, { queue, dynamoDb, authenticator: options.authenticator });
  queue.attach(await createWorker(env, { queue, dynamoDb }));
  const received: LocalWebhook['received'] = [];
  let answering = 0;
  const answered: (() => void)[] = [];
  const server = createWebhookServer(handler, {
    onExchange: ({ event }) => {
      answering -= 1;
      if (answering === 0) answered.splice(0).forEach((resolve) => resolve());
      const body = event?.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event?.body ?? '');
      let type: string | undefined;
      try {
        type = (JSON.parse(body) as { event?: { type?: string } }).event?.type;
      } catch {
        type = undefined;
      }
      received.push({ type, body });
    },
  });
  // Counted as they arrive, so that a request FusionAuth gave up on is still waited for.
  server.prependListener('request', (request) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname === WEBHOOK_PATH) answering += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  return {
    url,
    dynamo,
    client: dynamo.client,
    queue,
    ledger: new DynamoDbErasureLedger(dynamo.client, config.ledgerTableName),
    handler,
    targets: await resolveTargets(dynamo.client, config.targets),
    env,
    received,
    async settled() {
      if (answering > 0) await new Promise<void>((resolve) => answered.push(resolve));
      await queue.idle();
    },
    async post(event, headers = { authorization: TEST_KEY }) {
      const body = typeof event === 'string' ? event : JSON.stringify({ event });
      const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      if (options.logLevel) logger.setLogLevel('SILENT');
      queue.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (!options.dynamo) await dynamo.close();
    },
  };
}
