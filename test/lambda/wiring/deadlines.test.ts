import type { Context } from 'aws-lambda';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readErasureConfig } from '../../../lambda/erasure/erasure-config.ts';
import { SqsErasureJobQueue } from '../../../lambda/erasure/sqs-job-queue.ts';
import { SQS_CLIENT_CONFIG, sharedDynamoDbClient } from '../../../lambda/wiring/shared-clients.ts';
import { createWebhook } from '../../../lambda/wiring/webhook-wiring.ts';
import { logger } from '../../../lambda/observability.ts';
import { ensureLedgerTable, ensureTodoTable } from '../../../local/dynamodb.ts';
import { snapshot, startTestDynamoDb, type TestDynamoDb } from '../../support/dynamo.ts';
import { httpApiEvent, passportEvent } from '../../support/events.ts';
import { captureLogs } from '../../support/logs.ts';

/**
 * A DynamoDB endpoint that forwards every request to a dynalite except those it swallows: it
 * reads them and never answers, as a stuck socket does.
 */
async function stuckFront(upstream: string, swallow: (target: string, body: string) => boolean) {
  const held = new Set<Socket>();
  const swallowed: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (swallow(target, body.toString('utf8'))) {
        swallowed.push(target.split('.').pop()!);
        held.add(req.socket);
        return;
      }
      const forwarded = httpRequest(upstream, { method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    swallowed,
    close: () => {
      for (const socket of held) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const KEY = 'deadline-key';
const ENV = { TODO_TABLE_NAME: 'Todos', ERASURE_LEDGER_TABLE_NAME: 'Erasures', WEBHOOK_API_KEYS: KEY };
const contextWith = (remainingMs: number) => {
  const until = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => until - Date.now(), awsRequestId: 'deadline-test', functionName: 'webhook' } as unknown as Context;
};

let dynamo: TestDynamoDb;
let front: Awaited<ReturnType<typeof stuckFront>>;
beforeAll(async () => {
  dynamo = await startTestDynamoDb();
  await ensureTodoTable(dynamo.client, readErasureConfig(ENV).targets.shorthand!);
  await ensureLedgerTable(dynamo.client, 'Erasures');
  // Only the ledger's writes hang: the targets' check at init goes through.
  front = await stuckFront(dynamo.endpoint, (target, body) => target.endsWith('.PutItem') && body.includes('"Erasures"'));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = front.endpoint;
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await front?.close();
  await dynamo?.close();
});

describe('the clients the functions share', () => {
  it('give up on a connection after 1 s and on an answer after 5 s, DynamoDB and SQS alike', async () => {
    const dynamoDbHandler = await sharedDynamoDbClient().config.requestHandler;
    const dynamoDbConfig = await (dynamoDbHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
    expect(dynamoDbConfig).toMatchObject({ connectionTimeout: 1_000, requestTimeout: 5_000 });
    expect(SQS_CLIENT_CONFIG.requestHandler).toEqual({ connectionTimeout: 1_000, requestTimeout: 5_000 });
  });
});

describe('a delivery whose DynamoDB write is stuck on the wire', () => {
  it('is aborted when the Lambda\'s time is up, not after the SDK\'s timeouts and retries, and answers 500 with the abort logged', async () => {
    const handler = await createWebhook(ENV);
    const before = await snapshot(dynamo.client, 'Erasures');
    const body = passportEvent({ type: 'user.delete', id: 'evt-stuck', user: { id: 'someone' } });
    let answer: Awaited<ReturnType<typeof handler>> | undefined;
    // 2.5 s left: the answer margin leaves 1.5 s, well inside one 5 s request timeout, so an abort
    // can only be the deadline's.
    logger.setLogLevel('INFO');
    const logs = await captureLogs(async () => {
      answer = await handler(httpApiEvent({ body, headers: { authorization: KEY } }), contextWith(2_500));
    }).finally(() => logger.setLogLevel('SILENT'));

    expect(answer).toMatchObject({ statusCode: 500 });
    expect(front.swallowed).toContain('PutItem');
    const delivery = logs.find((line) => line.message === 'delivery');
    expect(delivery).toMatchObject({ status: 500, outcome: 'failed', error: { name: 'AbortError' } });
    expect(await snapshot(dynamo.client, 'Erasures')).toEqual(before);
  }, 10_000);
});

describe('a job sent to an SQS endpoint that never answers', () => {
  it('is aborted by the signal it was given', async () => {
    const sqs = await stuckFront(dynamo.endpoint, () => true);
    try {
      const queue = new SqsErasureJobQueue(
        { queueUrl: `${sqs.endpoint}/000000000000/jobs`, deadLetterQueueUrl: undefined },
        { ...SQS_CLIENT_CONFIG, endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
      );
      const job = { kind: 'sweep', hop: 0, firstQueuedAt: Date.now() } as const;
      await expect(queue.send(job as never, 0, AbortSignal.timeout(300))).rejects.toMatchObject({ name: 'AbortError' });
      expect(sqs.swallowed).toHaveLength(1);
    } finally {
      await sqs.close();
    }
  });
});
