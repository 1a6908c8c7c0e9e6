import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Each request's limits on the wire: a stuck socket fails in seconds rather than holding a
 * delivery (or the worker) past its time; an abort signal at the deadline covers the rest.
 */
const REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 5_000 } as const;
export const SQS_CLIENT_CONFIG = { requestHandler: REQUEST_HANDLER } as const;

let dynamoDb: DynamoDBClient | undefined;

/**
 * The container's one DynamoDB client. The SDK's adaptive retry mode also rate-limits its own
 * sends once DynamoDB throttles. The SDK reads AWS_ENDPOINT_URL_DYNAMODB itself, which points a
 * local run at a local server.
 */
export function sharedDynamoDbClient(): DynamoDBClient {
  dynamoDb ??= new DynamoDBClient({ retryMode: 'adaptive', requestHandler: REQUEST_HANDLER });
  return dynamoDb;
}
