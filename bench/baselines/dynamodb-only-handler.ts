/**
 * Cold-start baseline: the least a Lambda that talks to DynamoDB loads. It imports the client
 * and builds it at init, as the webhook does, and nothing else. Bundled with the webhook's own
 * esbuild options (bench/lib/bundles.ts), so the difference in size and import time is the
 * webhook's code and the libraries it adds.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: client.config ? 200 : 500 });
