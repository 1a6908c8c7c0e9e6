import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readErasureConfig } from '../lambda/erasure/erasure-config.ts';
import type { Env } from '../lambda/env.ts';
import { resolveTargets } from '../lambda/targets/table-schema.ts';
import { useLocalAwsDefaults } from './aws-env.ts';
import { localClient } from './dynamodb.ts';
import { applyLocalDefaults } from './local-defaults.ts';

/**
 * The tables of the webhook this machine runs: what `npm run todos` and `npm run erasures` read,
 * at AWS_ENDPOINT_URL_DYNAMODB or the `npm start` server on DYNAMODB_PORT.
 */
export function localTables(env: Record<string, string | undefined>) {
  useLocalAwsDefaults(env);
  const config = readErasureConfig(applyLocalDefaults(env) as Env);
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || `http://localhost:${env.DYNAMODB_PORT || 8000}`;
  const client: DynamoDBClient = localClient(endpoint);
  return { config, endpoint, client, firstTarget: async () => (await resolveTargets(client, config.targets))[0]! };
}

/** Ends a local tool with its message, and a hint when the cause is no server to talk to. */
export function failTool(error: unknown, endpoint: string): never {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`${reason}\n(is \`npm start\` running? DynamoDB endpoint: ${endpoint})`);
  process.exit(1);
}
