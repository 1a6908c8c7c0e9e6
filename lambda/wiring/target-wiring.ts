import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ErasureConfig } from '../erasure/erasure-config.ts';
import { openTargetCatalog, type TargetCatalog } from '../targets/target-catalog.ts';

/**
 * The deletion targets bound to their tables, at init: a target that cannot work stops the
 * function before any delivery (see openTargetCatalog).
 */
export const openTargets = (config: ErasureConfig, dynamoDb: DynamoDBClient, logger: Logger): Promise<TargetCatalog> =>
  openTargetCatalog(dynamoDb, config.targets, (error) =>
    logger.warn('the deletion targets\' tables could not be described at init; the first erasure tries again', {
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    }),
  );
