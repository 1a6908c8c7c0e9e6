import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseList } from '../../lambda/auth/credential-source.ts';
import { type Given, UsageError, type WebhookSourceOptions } from './options.ts';

/** The webhook as FusionAuth must call it. */
export interface WebhookTarget {
  readonly url: Given;
  /** Undefined when the webhook checks no API key. */
  readonly apiKey: Given | undefined;
}

export interface StackOutputs {
  readonly stack: string;
  readonly outputs: Readonly<Record<string, unknown>>;
}

export interface SourceIo {
  readFile(path: string): Promise<string>;
  readSecret(secretId: string): Promise<string>;
  writeSecret(secretId: string, value: string): Promise<void>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The stack to register from `cdk deploy --outputs-file` output (`{ stack: { output: value } }`):
 * the one named, else the only one with a WebhookUrl output.
 */
export function pickStack(file: string, content: unknown, stack: string | undefined): StackOutputs {
  if (!isObject(content)) throw new UsageError(`${file} is not \`cdk deploy --outputs-file\` output: expected an object of stacks.`);
  const stacks = Object.entries(content).filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1]));
  if (stack !== undefined) {
    const found = stacks.find(([name]) => name === stack);
    if (!found) throw new UsageError(`${file} has no stack ${stack}; it has: ${stacks.map(([name]) => name).join(', ') || 'none'}.`);
    return { stack, outputs: found[1] };
  }
  const candidates = stacks.filter(([, outputs]) => typeof outputs.WebhookUrl === 'string');
  if (candidates.length === 0) {
    throw new UsageError(`No stack in ${file} has a WebhookUrl output: name one with --stack, or give --webhook-url.`);
  }
  if (candidates.length > 1) {
    const names = candidates.map(([name]) => name).join(', ');
    throw new UsageError(`Several stacks in ${file} have a WebhookUrl output (${names}): choose one with --stack.`);
  }
  const [name, outputs] = candidates[0]!;
  return { stack: name, outputs };
}

/** The URL and key to register: given ones first, then the deployed stack's output and secret. */
export async function resolveWebhookTarget(source: WebhookSourceOptions, io: SourceIo = awsSourceIo): Promise<WebhookTarget> {
  const keyKnown = source.apiKey !== undefined || !source.needsApiKey;
  if (source.url && keyKnown) return { url: source.url, apiKey: source.apiKey };
  const { stack, outputs } = pickStack(source.outputsFile, await readOutputs(source.outputsFile, io), source.stack);
  const origin = `${source.outputsFile}, stack ${stack}`;
  return {
    url: source.url ?? { value: stringOutput(outputs, 'WebhookUrl', origin), origin },
    apiKey: keyKnown ? source.apiKey : await keyFromSecret(outputs, origin, io),
  };
}

async function readOutputs(file: string, io: SourceIo): Promise<unknown> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UsageError(
      `${file} not found. Deploy with \`npx cdk deploy --outputs-file ${file}\`, or give --webhook-url and WEBHOOK_API_KEYS.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON.`);
  }
}

function stringOutput(outputs: Readonly<Record<string, unknown>>, name: string, origin: string): string {
  const value = outputs[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${origin} has no ${name} output.`);
  return value;
}

/** The secret may list several keys while they rotate; the first is the one to hand out. */
async function keyFromSecret(outputs: Readonly<Record<string, unknown>>, origin: string, io: SourceIo): Promise<Given> {
  const secretId = [outputs.ApiKeySecretArn, outputs.ApiKeySecretName].find((id): id is string => typeof id === 'string' && id !== '');
  if (!secretId) throw new UsageError(`${origin} has no ApiKeySecretArn output to read the key from: set WEBHOOK_API_KEYS.`);
  const key = parseList(await io.readSecret(secretId))[0];
  if (key === undefined) throw new Error(`The secret ${secretId} lists no API key.`);
  return { value: key, origin: `secret ${secretId}` };
}

/** The outputs of the stack the options name: for what else a run needs from it. */
export async function stackOutputs(source: WebhookSourceOptions, io: SourceIo = awsSourceIo): Promise<StackOutputs> {
  return pickStack(source.outputsFile, await readOutputs(source.outputsFile, io), source.stack);
}

// An ARN names its region; a bare name is looked up where the SDK's configuration points.
const secretsClient = (secretId: string) => {
  const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretId)?.[1];
  return new SecretsManagerClient(region ? { region } : {});
};

export const awsSourceIo: SourceIo = {
  readFile: (path) => readFile(path, 'utf8'),
  async writeSecret(secretId, value) {
    const client = secretsClient(secretId);
    try {
      await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`Could not write the confirmation key into the secret ${secretId} (${reason}).`, { cause: error });
    } finally {
      client.destroy();
    }
  },
  async readSecret(secretId) {
    const client = secretsClient(secretId);
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (SecretString === undefined) throw new Error('it has no string value');
      return SecretString;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(
        `Could not read the webhook's API key from the secret ${secretId} (${reason}). Use AWS credentials of ` +
          'the account that deployed the stack (e.g. AWS_PROFILE), or set WEBHOOK_API_KEYS.',
        { cause: error },
      );
    } finally {
      client.destroy();
    }
  },
};
