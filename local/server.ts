/**
 * `npm start`: the webhook on this machine, with no AWS account and no Docker. It runs the very
 * handler the Lambda exports, behind an HTTP server shaped like API Gateway, over an in-process
 * DynamoDB (or the one AWS_ENDPOINT_URL_DYNAMODB names).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readConfig } from '../lambda/config.ts';
import { useLocalAwsDefaults } from './aws-env.ts';
import { ensureTodoTable, type LocalDynamoDb, localClient, startDynalite } from './dynamodb.ts';
import { createWebhookServer, WEBHOOK_PATH } from './webhook-server.ts';

const env = process.env;
const port = Number(env.PORT ?? 3000);
const host = env.HOST || undefined;
const dynamoDbPort = Number(env.DYNAMODB_PORT ?? 8000);

useLocalAwsDefaults(env);
env.TODO_TABLE_NAME ||= 'Todos';
env.WEBHOOK_API_KEYS ||= randomBytes(24).toString('base64url');
// EMF metrics are for CloudWatch; locally they would only bury the log lines.
env.POWERTOOLS_METRICS_DISABLED ??= 'true';

let dynamoDb: LocalDynamoDb | undefined;
if (!env.AWS_ENDPOINT_URL_DYNAMODB) {
  dynamoDb = await startDynalite(dynamoDbPort, env.DATA_DIR || undefined, host);
  env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
}
const config = readConfig(env);
const table = await ensureTodoTable(localClient(env.AWS_ENDPOINT_URL_DYNAMODB), config.todoTable);

// Imported only now: the handler reads its environment once, as it does in a Lambda container.
const { handler } = await import('../lambda/index.ts');
const server = createWebhookServer(handler);
server.listen(port, host);
await once(server, 'listening');

const url = `http://localhost:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
const apiKey = config.apiKeys.source === 'environment' ? config.apiKeys.keys[0] : '(from the secret)';
const storage = dynamoDb ? (env.DATA_DIR ? `on disk in ${env.DATA_DIR}` : 'in memory') : 'external';
console.log(`
passport-webhook is running locally

  Webhook URL    ${url}
  API key        ${apiKey}
                 (Passport: Webhooks > Headers tab, name "Authorization", this value)
  DynamoDB       ${env.AWS_ENDPOINT_URL_DYNAMODB} (${storage}; table ${config.todoTable.tableName}, ${table})

Try it:
  export WEBHOOK_KEY='${apiKey}'
  npm run todos -- add 00000000-0000-0001-0000-000000000000 5
  curl -i -X POST ${url} -H "Authorization: $WEBHOOK_KEY" \\
    -H 'Content-Type: application/json' --data @examples/passport-events/user.delete.json

Ctrl-C stops it.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await dynamoDb?.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
