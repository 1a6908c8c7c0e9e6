/**
 * Child-process entry: the same in-memory dynalite `npm start` runs, on a free loopback port,
 * in a process of its own so that it does not share an event loop with what it serves (real
 * DynamoDB is not in the caller's process either). Reports its endpoint on fd 3; SIGTERM stops it.
 */
import { writeSync } from 'node:fs';
import { startDynalite } from '../../local/dynamodb.ts';

const dynamoDb = await startDynalite(0, undefined, '127.0.0.1');
writeSync(3, `${JSON.stringify({ endpoint: dynamoDb.endpoint })}\n`);
process.once('SIGTERM', () => {
  void dynamoDb.close().finally(() => process.exit(0));
});
