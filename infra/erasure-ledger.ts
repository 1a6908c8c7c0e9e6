import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
// Import-free on purpose: the table's shape comes from the runtime without loading the AWS SDK.
import { LEDGER_KEYS, LEDGER_TTL_ATTRIBUTE, OPEN_INDEX } from '../lambda/erasure/ledger-schema.ts';

/**
 * The erasure ledger: one record per user and scope, which moves from requested to erased (or
 * rolled back, or unconfirmed), and then stays as the receipt that the erasure happened until
 * its TTL. The sparse index holds the open records only, by state and age, for the sweep.
 */
export function createLedgerTable(scope: Construct, id: string): Table {
  const table = new Table(scope, id, {
    partitionKey: { name: LEDGER_KEYS.partition, type: AttributeType.STRING },
    sortKey: { name: LEDGER_KEYS.sort, type: AttributeType.STRING },
    timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The receipts are the evidence that erasures happened, and the open records work still to do:
    // neither a stack deletion nor a stray console click drops them.
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  table.addGlobalSecondaryIndex({
    indexName: OPEN_INDEX.name,
    partitionKey: { name: OPEN_INDEX.partition, type: AttributeType.STRING },
    sortKey: { name: OPEN_INDEX.sort, type: AttributeType.NUMBER },
    projectionType: ProjectionType.ALL,
  });
  return table;
}

/**
 * Reading a record and writing it over the version read (lambda/erasure/dynamodb-ledger.ts): a
 * GetItem and a conditional PutItem, on the table alone.
 */
export function grantLedgerRecords(fn: IFunction, table: ITable): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [table.tableArn] }));
}

/** The sweep's count of open records by state: Query on the open-state index alone. */
export function grantOpenErasureQuery(fn: IFunction, table: ITable): void {
  fn.addToRolePolicy(
    new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${OPEN_INDEX.name}`] }),
  );
}
