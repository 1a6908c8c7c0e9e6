/**
 * Child-process entry of front.ts: the throughput-limited front and its in-memory dynalite, in a
 * process of their own, so that metering a million requests does not share an event loop with
 * the code being timed (a real DynamoDB is not in the caller's process either).
 */
import { startThrottledDynamoDb } from '../../test/support/throttled-dynamodb.ts';

const front = await startThrottledDynamoDb({ limits: JSON.parse(process.argv[2] ?? '{}') });
const send = (message: unknown) => process.send!(message);
send({ endpoint: front.endpoint, backendEndpoint: front.backendEndpoint });
process.on('message', (message: 'stats' | 'reset') => {
  if (message === 'reset') front.stats.reset();
  const { total, operations } = front.stats;
  send({ total, operations, partitions: message === 'stats' ? front.stats.partitions() : [] });
});
process.on('disconnect', () => void front.close().finally(() => process.exit(0)));
