/**
 * `npm run todos -- add <userId> [count] | list <userId> | count <userId>`: the Todos of the
 * first deletion target of the local webhook (AWS_ENDPOINT_URL_DYNAMODB, or the `npm start`
 * server on DYNAMODB_PORT).
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { requireId } from '../lambda/events/fields.ts';
import { addTodos, countTodos, listTodos } from './todo-admin.ts';
import { failTool, localTables } from './local-tables.ts';

const USAGE = 'usage: npm run todos -- add <userId> [count] | list <userId> | count <userId>';

const [command, userIdArgument, countArgument] = process.argv.slice(2);
if (!command || !userIdArgument) fail(USAGE);
const { client, endpoint, firstTarget } = localTables(process.env);

try {
  const values = { userId: requireId(userIdArgument, 'userId') };
  const target = await firstTarget();
  if (command === 'add') {
    const count = countArgument === undefined ? 1 : Number(countArgument);
    if (!Number.isInteger(count) || count < 1) fail('count must be a whole number of at least 1');
    await addTodos(client, target, values, count);
    console.log(`added ${count} Todo(s) for ${values.userId}; they have ${await countTodos(client, target, values)} now`);
  } else if (command === 'list') {
    for (const item of await listTodos(client, target, values)) console.log(JSON.stringify(unmarshall(item)));
  } else if (command === 'count') {
    console.log(await countTodos(client, target, values));
  } else {
    fail(USAGE);
  }
} catch (error) {
  failTool(error, endpoint);
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
