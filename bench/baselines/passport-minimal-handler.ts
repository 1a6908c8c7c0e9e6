/**
 * Warm-overhead baseline: the original Passport example's logic, and nothing more, as a Lambda
 * handler for the same API Gateway event: compare the Authorization header, JSON.parse the body,
 * branch on the event type, and for user.delete call `todo.deleteAll`. No validation, no
 * logging, no metrics. The original, and where it comes from, is in passport-express-webhook.ts.
 * Bundled with the webhook's esbuild options, run in the same process as the real handler.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Todo, todoTableFromEnv } from './passport-todo-model.ts';

const API_KEY = process.env.WEBHOOK_API_KEYS;
const todo = new Todo(new DynamoDBClient({}), todoTableFromEnv(process.env));

interface Result {
  statusCode: number;
  body?: string;
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<Result> => {
  const authorization = event.headers.authorization;
  if (authorization !== API_KEY) {
    return { statusCode: 401, body: JSON.stringify({ errors: [{ code: '[notAuthorized]' }] }) };
  }

  const request = JSON.parse(event.body ?? '');
  if (request.event.type === 'user.delete') {
    try {
      await todo.deleteAll(request.event.user.id);
      return { statusCode: 200 };
    } catch {
      return { statusCode: 500 };
    }
  }
  return { statusCode: 200 };
};
