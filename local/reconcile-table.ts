import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RECONCILE_KEYS } from '../lambda/reconcile/reconcile-schema.ts';
import { ensureTable, type TableState } from './dynamodb.ts';

/** The scheduled reconcile's run-state table, as the construct creates it (infra/reconcile-schedule.ts). */
export const ensureReconcileTable = (client: DynamoDBClient, tableName: string): Promise<TableState> =>
  ensureTable(client, {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: RECONCILE_KEYS.partition, AttributeType: 'S' },
      { AttributeName: RECONCILE_KEYS.sort, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: RECONCILE_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: RECONCILE_KEYS.sort, KeyType: 'RANGE' },
    ],
  });
