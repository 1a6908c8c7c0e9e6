/**
 * `npm run todos -- add <userId> [count] | list <userId> | count <userId>`: the Todo table the
 * local webhook uses (AWS_ENDPOINT_URL_DYNAMODB, or the `npm start` server on DYNAMODB_PORT).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readConfig } from '../lambda/config.ts';
import { useLocalAwsDefaults } from './aws-env.ts';
import { localClient } from './dynamodb.ts';
import { addTodos, countTodos, listTodos } from './todo-admin.ts';

const USAGE = 'usage: npm run todos -- add <userId> [count] | list <userId> | count <userId>';

const env = process.env;
useLocalAwsDefaults(env);
env.TODO_TABLE_NAME ||= 'Todos';
// Only the table settings matter here; the webhook's key does not.
const { todoTable } = readConfig({ ...env, WEBHOOK_API_KEYS: 'unused' });
const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || `http://localhost:${env.DYNAMODB_PORT || 8000}`;
const client = localClient(endpoint);

const [command, userId, countArgument] = process.argv.slice(2);
if (!command || !userId) fail(USAGE);

try {
  if (command === 'add') {
    const count = countArgument === undefined ? 1 : Number(countArgument);
    if (!Number.isInteger(count) || count < 1) fail('count must be a whole number of at least 1');
    await addTodos(client, todoTable, userId, count);
    console.log(`added ${count} Todo(s) for ${userId}; they have ${await countTodos(client, todoTable, userId)} now`);
  } else if (command === 'list') {
    for (const item of await listTodos(client, todoTable, userId)) console.log(JSON.stringify(unmarshall(item)));
  } else if (command === 'count') {
    console.log(await countTodos(client, todoTable, userId));
  } else {
    fail(USAGE);
  }
} catch (error) {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  fail(`${reason}\n(is \`npm start\` running? DynamoDB endpoint: ${endpoint})`);
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
