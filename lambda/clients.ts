import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type DeletionQueue, SqsDeletionQueue } from './deletion/queue.ts';

// The SDK's adaptive retry mode also rate-limits its own sends once DynamoDB throttles. The SDK
// reads AWS_ENDPOINT_URL_DYNAMODB itself, which points a local run at a local server.
export const dynamoDbClient = (): DynamoDBClient => new DynamoDBClient({ retryMode: 'adaptive' });

export const sqsDeletionQueue = (queueUrl: string | undefined): DeletionQueue | undefined =>
  queueUrl ? new SqsDeletionQueue(new SQSClient({}), queueUrl) : undefined;
