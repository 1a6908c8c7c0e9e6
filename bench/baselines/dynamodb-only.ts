/**
 * The init baseline: the least a function that erases from DynamoDB does at init. It builds the
 * webhook's own DynamoDB client (lambda/wiring/shared-clients.ts) and makes the one DescribeTable
 * the webhook makes of its Todo table before its first delivery, and nothing else. Bundled with
 * the webhook's esbuild settings, so the difference is the webhook's own code.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { sharedDynamoDbClient } from '../../lambda/wiring/shared-clients.ts';

await sharedDynamoDbClient().send(new DescribeTableCommand({ TableName: process.env.TODO_TABLE_NAME }));

export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });
