import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { credentialSource, parseList } from '../auth/credential-source.ts';
import { DynamoDbErasureLedger } from '../erasure/dynamodb-ledger.ts';
import type { ErasureConfig } from '../erasure/erasure-config.ts';
import { powertoolsErasureMetrics } from '../erasure/erasure-metrics.ts';
import { ErasureService } from '../erasure/erasure-service.ts';
import type { UserDirectory } from '../erasure/fusionauth-users.ts';
import type { ErasureJobQueue } from '../erasure/jobs.ts';
import type { ErasureLedger } from '../erasure/ledger.ts';
import { SqsErasureJobQueue } from '../erasure/sqs-job-queue.ts';
import { DynamoDbTodoEraser } from '../targets/dynamodb-todo-eraser.ts';
import type { TargetCatalog } from '../targets/target-catalog.ts';
import { SQS_CLIENT_CONFIG, sharedDynamoDbClient } from './shared-clients.ts';

export interface ErasureWiringOverrides {
  /** `npm start` runs the worker in process instead of behind SQS. */
  readonly queue?: ErasureJobQueue;
  /** A client of its own (tests: a server of their own, or faults injected on it); else the container's. */
  readonly dynamoDb?: DynamoDBClient;
  readonly now?: () => number;
}

export interface ErasureWiring {
  readonly erasures: ErasureService;
  readonly queue: ErasureJobQueue | undefined;
  /** What a scheduled reconcile reads besides (lambda/reconcile/reconcile-wiring.ts). */
  readonly targets: TargetCatalog;
  readonly ledger: ErasureLedger;
  readonly dynamoDb: DynamoDBClient;
}

interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The erasure lifecycle both functions share. FusionAuth's API is the worker's alone (`withUsers`). */
export async function wireErasures(
  config: ErasureConfig,
  targets: TargetCatalog,
  { logger, metrics }: Observability,
  overrides: ErasureWiringOverrides & { readonly withUsers?: boolean } = {},
): Promise<ErasureWiring> {
  const dynamoDb = overrides.dynamoDb ?? sharedDynamoDbClient();
  const queue =
    overrides.queue ??
    (config.queueUrl ? new SqsErasureJobQueue({ queueUrl: config.queueUrl, deadLetterQueueUrl: config.deadLetterQueueUrl }, SQS_CLIENT_CONFIG) : undefined);
  const ledger = new DynamoDbErasureLedger(dynamoDb, config.ledgerTableName);
  const erasures = new ErasureService({
    ledger,
    eraser: new DynamoDbTodoEraser(dynamoDb, { indexSettleMs: config.indexSettleMs }),
    targets,
    queue,
    users: overrides.withUsers && config.fusionAuth ? await fusionAuthDirectory(config.fusionAuth) : undefined,
    settings: { ...config.settings, confirmThroughApi: config.fusionAuth !== undefined },
    metrics: powertoolsErasureMetrics(metrics),
    logger,
    now: overrides.now,
  });
  return { erasures, queue, targets, ledger, dynamoDb };
}

/** Loaded only where FusionAuth's API is configured. */
async function fusionAuthDirectory(api: NonNullable<ErasureConfig['fusionAuth']>): Promise<UserDirectory> {
  const { fusionAuthUsers } = await import('../erasure/fusionauth-users.ts');
  return fusionAuthUsers({ url: api.url, apiKey: credentialSource(api.apiKey, parseList, 'FusionAuth API key') });
}
