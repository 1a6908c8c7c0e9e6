import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

/** An endpoint on this machine, over plain http: npm start's DynamoDB, or one like it. */
const isLocalEndpoint = (endpoint: string): boolean => /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(endpoint);

/** An `--outputs-file` that cannot be read, or names no stack of ours. */
export class OutputsFileError extends Error {}

/** The stack's table names from `cdk deploy --outputs-file`, under the variables the runtime reads. */
export function readOutputsFile(path: string, env: Record<string, string | undefined>): void {
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(readFileSync(path, 'utf8')) as typeof outputs;
  } catch (error) {
    throw new OutputsFileError(`--outputs-file ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  const stack = Object.values(outputs).find((values) => values && typeof values.ErasureLedgerTableName === 'string');
  if (!stack) throw new OutputsFileError(`--outputs-file ${path} has no stack with an ErasureLedgerTableName output.`);
  env.ERASURE_LEDGER_TABLE_NAME ||= stack.ErasureLedgerTableName;
  if (stack.TodoTableName && !env.DELETION_TARGETS?.trim()) env.TODO_TABLE_NAME ||= stack.TodoTableName;
}

/**
 * A client of the deployed tables (AWS's own credentials, `region` and `profile` as the AWS CLI
 * takes them), unless AWS_ENDPOINT_URL_DYNAMODB or DYNAMODB_PORT names a local server, which
 * gets the local credentials.
 */
export function stackTablesClient(env: Record<string, string | undefined>, region: string | undefined, profile: string | undefined) {
  if (!env.AWS_ENDPOINT_URL_DYNAMODB && env.DYNAMODB_PORT) env.AWS_ENDPOINT_URL_DYNAMODB = `http://localhost:${env.DYNAMODB_PORT}`;
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || undefined;
  if (endpoint && isLocalEndpoint(endpoint)) useLocalAwsDefaults(env);
  const client = new DynamoDBClient({ retryMode: 'adaptive', ...(region && { region }), ...(profile && { profile }) });
  return { client, where: endpoint ?? `AWS${region ? ` ${region}` : ''}${profile ? ` (profile ${profile})` : ''}` };
}

/** Ends a local tool with its message, and a hint when the cause is no server to talk to. */
export function failTool(error: unknown, endpoint: string): never {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`${reason}\n(${isLocalEndpoint(endpoint) ? 'is `npm start` running? ' : ''}DynamoDB endpoint: ${endpoint})`);
  process.exit(1);
}
