import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { DedupeConfig } from '../config.ts';
import type { HandlerOutcome } from '../handlers/handler.ts';
import { sleep } from '../todos/backoff.ts';

export type DedupedOutcome = HandlerOutcome & { readonly duplicate?: true };

/** Runs each event id's handler once: FusionAuth may deliver an event more than once. */
export interface Deduplicator {
  /**
   * Runs `work` unless `key` already succeeded, in which case its stored outcome is returned.
   * While another delivery of `key` is under way, waits for its outcome rather than running twice.
   * A failed run leaves no trace, so a redelivery runs again.
   */
  once(key: string, work: () => Promise<HandlerOutcome>, context: Context | undefined): Promise<DedupedOutcome>;
}

/** How long a delivery waits for a concurrent one of the same event before answering 500. */
const MAX_WAIT_MS = 5_000;

/** Powertools Idempotency over a DynamoDB table: conditional writes, records expiring after the window. */
export function dynamoDbDeduplicator(client: DynamoDBClient, { tableName, windowSeconds }: DedupeConfig): Deduplicator {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    expiresAfterSeconds: windowSeconds,
    responseHook: (response) => ({ ...(response as HandlerOutcome), duplicate: true }),
  });
  const run = makeIdempotent(async (_payload: { key: string }, work: () => Promise<HandlerOutcome>) => work(), {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
    config,
  });
  return {
    async once(key, work, context) {
      // An in-progress record then expires with this invocation, so a crashed run does not block redeliveries.
      if (context) config.registerLambdaContext(context);
      const deadline = Date.now() + Math.min(MAX_WAIT_MS, (context?.getRemainingTimeInMillis() ?? MAX_WAIT_MS) - 1_000);
      for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
        try {
          return (await run({ key }, work)) as DedupedOutcome;
        } catch (error) {
          if (!(error instanceof IdempotencyAlreadyInProgressError) || Date.now() + wait > deadline) throw error;
          await sleep(wait);
        }
      }
    },
  };
}
