/**
 * `npm start`: the webhook on this machine, with no AWS account and no Docker. It runs the
 * webhook and the erasure worker as the Lambda entries wire them, behind an HTTP server shaped
 * like the construct's REST API (payload 1.0 events, only POST routed) with its edge emulated:
 * WAF's allow-list and per-source rules, the stage throttle and the resource policy, from the
 * same defaults the construct deploys (local/edge.ts); with the job queue in process (delays
 * honoured), over an in-process DynamoDB (or the one AWS_ENDPOINT_URL_DYNAMODB names).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { currentFromEnvironment } from '../lambda/auth/credential-source.ts';
import { SIGNATURE_HEADER } from '../lambda/auth/signature-algorithms.ts';
import { readWebhookConfig } from '../lambda/config.ts';
import { DynamoDbErasureLedger } from '../lambda/erasure/dynamodb-ledger.ts';
import { ConfigurationError } from '../lambda/errors.ts';
import { WEBHOOK_PATH } from '../infra/names.ts';
import { useLocalAwsDefaults } from './aws-env.ts';
import { ensureLedgerTable, ensureTodoTable, type LocalDynamoDb, localClient, startDynalite } from './dynamodb.ts';
import { InProcessJobQueue } from './in-process-queue.ts';
import { DeliveryLog } from './inspector/delivery-log.ts';
import { inspectorRoutes } from './inspector/routes.ts';
import { describeEdgePolicy } from '../infra/edge-policy.ts';
import { edgePolicyFromEnvironment, LocalEdge } from './edge.ts';
import { applyLocalDefaults } from './local-defaults.ts';
import { createWebhookServer } from './webhook-server.ts';

const env = process.env;
const port = orExit(() => portFrom('PORT', env.PORT, 3000));
const host = env.HOST || undefined;
const dynamoDbPort = orExit(() => portFrom('DYNAMODB_PORT', env.DYNAMODB_PORT, 8000));

useLocalAwsDefaults(env);
applyLocalDefaults(env);
// A fresh key each start unless one is given; unused when WEBHOOK_AUTH leaves api-key out.
if (!env.WEBHOOK_API_KEYS && !env.API_KEY_SECRET_ARN) env.WEBHOOK_API_KEYS = randomBytes(24).toString('base64url');
// EMF metrics are for CloudWatch; locally they would only bury the log lines.
env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const config = orExit(() => readWebhookConfig(env));
const edgePolicy = orExit(() => {
  try {
    return edgePolicyFromEnvironment(env);
  } catch (error) {
    throw new ConfigurationError(`the local edge (set from the environment): ${(error as Error).message}`);
  }
});
let dynamoDb: LocalDynamoDb | undefined;
if (!env.AWS_ENDPOINT_URL_DYNAMODB) {
  dynamoDb = await startDynalite(dynamoDbPort, env.DATA_DIR || undefined, host);
  env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
}
const client = localClient(env.AWS_ENDPOINT_URL_DYNAMODB);
// The shorthand's table is made here; the tables of an explicit target list must exist already.
const todoTable = config.targets.shorthand ? await ensureTodoTable(client, config.targets.shorthand) : undefined;
await ensureLedgerTable(client, config.ledgerTableName);

// Every credential header is masked in the inspector.
const secretHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', SIGNATURE_HEADER, config.auth.apiKey?.header ?? 'authorization']);
const deliveries = new DeliveryLog(secretHeaders);

// Imported only now: the handler reads its environment once, as it does in a Lambda container.
// The wiring is the Lambda entries' own; only the queue is in process instead of SQS.
const { createWebhook } = await import('../lambda/wiring/webhook-wiring.ts');
const { createWorker } = await import('../lambda/wiring/worker-wiring.ts');
const { resolveTargets } = await import('../lambda/targets/table-schema.ts');
const queue = new InProcessJobQueue();
const webhook = await orExitAsync(() =>
  createWebhook(env, { queue, onDelivery: (summary, context) => deliveries.summarise(context?.awsRequestId, summary) }),
);
queue.attach(await orExitAsync(() => createWorker(env, { queue })));
const [firstTarget] = await resolveTargets(client, config.targets);
const server = createWebhookServer(webhook, {
  api: 'rest',
  edge: edgePolicy && new LocalEdge(edgePolicy),
  onExchange: (exchange) => deliveries.record(exchange),
  otherPaths: inspectorRoutes({
    deliveries,
    webhookUrl: () => url,
    auth: config.auth,
    dynamoDb: client,
    firstTarget: firstTarget!,
    ledger: new DynamoDbErasureLedger(client, config.ledgerTableName),
  }),
});
server.listen(port, host);
await once(server, 'listening');

const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
const url = `${origin}${WEBHOOK_PATH}`;
const { apiKey, basic, signature } = config.auth;
const firstKey = currentFromEnvironment(apiKey?.keys);
const headerName = env.WEBHOOK_API_KEY_HEADER || 'Authorization';
const storage = dynamoDb ? (env.DATA_DIR ? `on disk in ${env.DATA_DIR}` : 'in memory') : 'external';
const tables = config.targets.targets.map((target) => target.name).join(', ');
const lines = [
  '',
  'passport-webhook is running locally',
  '',
  `  Webhook URL    ${url}`,
  `  Inspector      ${origin}/ (deliveries and erasures, live; send the example events)`,
  ...(apiKey
    ? [`  API key        ${firstKey ?? '(from the secret)'}`, `                 (Passport: Webhooks > Headers tab, name "${headerName}", this value)`]
    : []),
  ...(basic ? ['  Basic auth     required (WEBHOOK_BASIC_AUTH; Passport: Webhooks > Security tab)'] : []),
  ...(signature ? [`  Signature      required: ${signature.algorithms.join(', ')} (Passport: Webhooks > Security tab, signing key)`] : []),
  `  DynamoDB       ${env.AWS_ENDPOINT_URL_DYNAMODB} (${storage}; targets ${tables}${todoTable ? `, ${todoTable}` : ''}; ledger ${config.ledgerTableName})`,
  `  Confirmation   ${
    config.fusionAuth
      ? `${config.fusionAuth.url} (the worker asks it ${config.settings.confirmDelaySeconds} s after each request)`
      : 'by the .complete events only (set FUSIONAUTH_URL and FUSIONAUTH_API_KEY to ask FusionAuth)'
  }`,
  ...(config.eraseBeforeCommit ? ['  Erasure        ERASE_BEFORE_COMMIT: on the transactional event itself, before FusionAuth commits'] : []),
  ...edgeLines(),
  '',
];
if (firstKey && !basic && !signature && config.targets.shorthand) {
  lines.push(
    'Try it (a user.delete is recorded; its user.delete.complete erases):',
    `  export WEBHOOK_KEY='${firstKey}'`,
    '  npm run todos -- add 00000000-0000-0001-0000-000000000000 5',
    `  curl -i -X POST ${url} -H "${headerName}: $WEBHOOK_KEY" \\`,
    "    -H 'Content-Type: application/json' --data @examples/passport-events/user.delete.complete.json",
    '  npm run erasures',
    '',
  );
}
lines.push('Ctrl-C stops it.', '');
console.log(lines.join('\n'));

/** What answers in front of the function, as the construct deploys it (docs/flood-defence.md). */
function edgeLines(): string[] {
  if (!edgePolicy) return ['  Edge           off (LOCAL_EDGE=off): every POST reaches the function, as if no throttle or WAF stood in front'];
  const lines = describeEdgePolicy(edgePolicy);
  if (!env.ALLOWED_SOURCES?.trim()) lines[lines.length - 1] += ": ALLOWED_SOURCES takes FusionAuth's egress addresses";
  const [first, ...rest] = lines;
  return [`  Edge           ${first}`, ...rest.map((line) => `                 ${line}`)];
}

/** A configuration that cannot work is said in one line, as the Lambda's init would log it, before anything starts. */
/** A port to listen on; 0 picks a free one. */
function portFrom(name: string, given: string | undefined, fallback: number): number {
  const text = given?.trim() || String(fallback);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) throw new ConfigurationError(`${name} must be a port number from 0 to 65535; got ${JSON.stringify(given)}.`);
  return value;
}

function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    return exitOn(error);
  }
}

async function orExitAsync<T>(build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    return exitOn(error);
  }
}

function exitOn(error: unknown): never {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`passport-webhook cannot start: ${error.message}`);
  process.exit(1);
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  queue.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  client.destroy();
  await dynamoDb?.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

