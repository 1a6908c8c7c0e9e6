import { parseArgs } from 'node:util';
import { TransactionType } from '@fusionauth/typescript-client';
import { parseLines, parseList } from '../../lambda/auth/credential-source.ts';
import { AUTH_MODES } from '../../lambda/config.ts';
import { WEBHOOK_PATH } from '../../infra/names.ts';
import {
  DEFAULT_TRANSACTION_TYPE,
  EVENT_KINDS,
  type EventTypeName,
  HANDLED_EVENTS,
  isEventType,
  isHandled,
} from './events.ts';

/** Wrong or missing input: the command says what to change and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A value and where it came from, for the report. */
export interface Given {
  readonly value: string;
  readonly origin: string;
}

export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

export type TenantScope =
  | { readonly global: true }
  | { readonly global: false; readonly tenantIds: readonly string[] };

/** What is known of the webhook's URL and key before any file or secret is read. */
export interface WebhookSourceOptions {
  readonly url: Given | undefined;
  /** Whether the webhook checks an API key, which must then be found. */
  readonly needsApiKey: boolean;
  readonly apiKey: Given | undefined;
  readonly outputsFile: string;
  readonly stack: string | undefined;
}

/** Whether to hand FusionAuth's API a key of its own for the worker's confirmations, and where to put it. */
export type ConfirmationKeyOptions =
  | { readonly mode: 'print' }
  /** Into the stack's secret: `--confirmation-key-secret`, or the outputs' FusionAuthApiKeySecretArn. */
  | { readonly mode: 'stack'; readonly secretId: string | undefined };

export interface RegisterOptions {
  readonly fusionAuthUrl: string;
  readonly fusionAuthApiKey: string;
  readonly source: WebhookSourceOptions;
  readonly tenants: TenantScope;
  readonly events: readonly EventTypeName[];
  readonly transactionType: TransactionType;
  readonly connectTimeout: number;
  readonly readTimeout: number;
  /** The header that carries the API key; undefined when the webhook checks none. */
  readonly apiKeyHeader: string | undefined;
  readonly signingKeyId: string | undefined;
  readonly basicAuth: BasicAuth | undefined;
  /** Undefined: no confirmation key is created. */
  readonly confirmationKey: ConfirmationKeyOptions | undefined;
  readonly dryRun: boolean;
}

export type ParsedCommand =
  | { readonly help: true }
  | { readonly help: false; readonly options: RegisterOptions; readonly warnings: readonly string[] };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * API Gateway accepts the connection at its edge whatever the function is doing, so connecting
 * is quick even on a cold start; one second is FusionAuth's own default and fails fast on a wrong host.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
/**
 * FusionAuth waits this long for the answer, holding a transactional event open meanwhile. It
 * covers a cold start with its Secrets Manager read and table descriptions (1–2 s) and the
 * ledger write, and a `.complete` event's inline erasure (a second by default before it queues
 * the rest), and still gives up long before API Gateway's 30 s; a webhook that fails only this
 * slowly is down anyway.
 */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
export const DEFAULT_OUTPUTS_FILE = 'cdk-outputs.json';
export const DEFAULT_API_KEY_HEADER = 'Authorization';
const DEFAULT_LOCAL_PORT = '3000';
/** The webhook's own WEBHOOK_AUTH default. */
const DEFAULT_AUTH = 'api-key';

export const USAGE = `usage: npm run register -- --fusionauth-url <url> (--tenant <id>... | --global) [options]

Creates or updates the Passport (FusionAuth) webhook for this project's URL, then enables its
events, with a transaction type, in the tenants' webhook settings. Running it again changes nothing.

FusionAuth
  --fusionauth-url <url>      FusionAuth's base URL, e.g. https://auth.example.com
  --api-key <key>             a FusionAuth API key allowed to use /api/webhook and /api/tenant
                              (default: FUSIONAUTH_API_KEY, which keeps it out of the process list)
  --tenant <id>               a tenant whose events go to the webhook; repeat for several
  --global                    events of every tenant go to the webhook
  --events <a,b,...>          event types (default: those the webhook handles,
                              ${HANDLED_EVENTS.join(',')})
  --transaction <type>        None, Any, SimpleMajority, SuperMajority or AbsoluteMajority
                              (default: ${DEFAULT_TRANSACTION_TYPE}; non-transactional events keep None)
  --connect-timeout <ms>      default ${DEFAULT_CONNECT_TIMEOUT_MS}
  --read-timeout <ms>         default ${DEFAULT_READ_TIMEOUT_MS}: room for a Lambda cold start and retries

The webhook
  --outputs-file <file>       \`cdk deploy --outputs-file\` output (default: ${DEFAULT_OUTPUTS_FILE})
  --stack <name>              the stack in it (default: the one with a WebhookUrl output)
  --webhook-url <url>         instead of the stack's WebhookUrl
  --local                     the \`npm start\` webhook: http://localhost:$PORT${WEBHOOK_PATH} (PORT default
                              ${DEFAULT_LOCAL_PORT}); its key must be set in WEBHOOK_API_KEYS for both commands
  --auth <modes>              what the webhook checks, as its WEBHOOK_AUTH: api-key, signature, basic
                              (default: WEBHOOK_AUTH or ${DEFAULT_AUTH}); without api-key no key is sent
  --api-key-header <name>     header that carries the webhook's key (default: WEBHOOK_API_KEY_HEADER
                              or ${DEFAULT_API_KEY_HEADER})
  --signing-key-id <uuid>     sign events with this Key Master key
  --basic-auth <user:pass>    send HTTP Basic credentials (default: the first line of WEBHOOK_BASIC_AUTH)
  The webhook's key is the first of WEBHOOK_API_KEYS when set, else the first in the stack's secret.

The confirmation key (for a worker that asks FusionAuth whether a deleted user is gone)
  --confirmation-key print    create an API key allowed GET on /api/user only (locked to the tenant
                              when one --tenant is given) and print it, e.g. for FUSIONAUTH_API_KEY
  --confirmation-key stack    create it and write it into the stack's secret (its
                              FusionAuthApiKeySecretArn output), unless the secret holds one already
  --confirmation-key-secret <arn>   the secret to write it into, instead of the outputs'
  The --api-key must be a key manager (FusionAuth: Settings → API Keys) to create keys.

  --dry-run                   print the writes instead of sending them (reads are still sent)
  -h, --help                  this text

Exit status: 0 done, 1 FusionAuth or AWS refused or failed, 2 wrong usage.`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 9110 field-name (token) characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TRANSACTION_TYPES = Object.values(TransactionType);

const read = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

export function parseOptions(argv: readonly string[], env: Env): ParsedCommand {
  const { values } = parseFlags(argv);
  if (values.help) return { help: true };
  const warnings: string[] = [];

  const events = parseEvents(values.events, warnings);
  const transactionType = parseTransactionType(values.transaction);
  // The handled `.complete` events are meant to be non-transactional: only others are worth a word.
  const untransacted = events.filter((event) => EVENT_KINDS[event] === 'non-transactional' && !isHandled(event));
  if (transactionType !== TransactionType.None && untransacted.length > 0) {
    const them = untransacted.length === 1 ? 'it' : 'them';
    warnings.push(`${untransacted.join(', ')}: not transactional in FusionAuth, so the tenants keep transaction type None for ${them}.`);
  }

  const { apiKeyHeader, basicAuth, signingKeyId } = parseWebhookAuth(values, env);

  return {
    help: false,
    warnings,
    options: {
      fusionAuthUrl: baseUrl(values['fusionauth-url']),
      fusionAuthApiKey: required(
        values['api-key'] ?? read(env, 'FUSIONAUTH_API_KEY'),
        'No FusionAuth API key: set FUSIONAUTH_API_KEY (or pass --api-key).',
      ),
      source: parseSource(values, env, apiKeyHeader !== undefined),
      tenants: parseTenants(values.tenant ?? [], values.global ?? false),
      events,
      transactionType,
      connectTimeout: milliseconds('--connect-timeout', values['connect-timeout'], DEFAULT_CONNECT_TIMEOUT_MS),
      readTimeout: milliseconds('--read-timeout', values['read-timeout'], DEFAULT_READ_TIMEOUT_MS),
      apiKeyHeader,
      signingKeyId,
      basicAuth,
      confirmationKey: parseConfirmationKey(values['confirmation-key'], values['confirmation-key-secret']),
      dryRun: values['dry-run'] ?? false,
    },
  };
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'fusionauth-url': { type: 'string' },
        'api-key': { type: 'string' },
        tenant: { type: 'string', multiple: true },
        global: { type: 'boolean' },
        events: { type: 'string' },
        transaction: { type: 'string' },
        'connect-timeout': { type: 'string' },
        'read-timeout': { type: 'string' },
        'outputs-file': { type: 'string' },
        stack: { type: 'string' },
        'webhook-url': { type: 'string' },
        local: { type: 'boolean' },
        auth: { type: 'string' },
        'api-key-header': { type: 'string' },
        'signing-key-id': { type: 'string' },
        'basic-auth': { type: 'string' },
        'confirmation-key': { type: 'string' },
        'confirmation-key-secret': { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs says which option it could not take; the rest is the usage text's job.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

type Flags = ReturnType<typeof parseFlags>['values'];

function parseSource(values: Flags, env: Env, needsApiKey: boolean): WebhookSourceOptions {
  const keys = needsApiKey ? read(env, 'WEBHOOK_API_KEYS') : undefined;
  const apiKey = keys === undefined ? undefined : parseList(keys)[0];
  if (keys !== undefined && apiKey === undefined) throw new UsageError('WEBHOOK_API_KEYS lists no key.');
  const flagUrl = values['webhook-url'];
  let url: Given | undefined = flagUrl === undefined ? undefined : { value: httpUrl('--webhook-url', flagUrl), origin: '--webhook-url' };
  if (values.local) {
    if (needsApiKey && apiKey === undefined) {
      throw new UsageError(
        '--local needs the key of the `npm start` webhook, which makes up a random one unless WEBHOOK_API_KEYS ' +
          'is set: start it with WEBHOOK_API_KEYS=<key> npm start, and run this command with the same WEBHOOK_API_KEYS.',
      );
    }
    const port = read(env, 'PORT') ?? DEFAULT_LOCAL_PORT;
    url ??= { value: `http://localhost:${port}${WEBHOOK_PATH}`, origin: `--local: npm start on port ${port}` };
  }
  return {
    url,
    needsApiKey,
    apiKey: apiKey === undefined ? undefined : { value: apiKey, origin: 'WEBHOOK_API_KEYS' },
    outputsFile: values['outputs-file'] ?? DEFAULT_OUTPUTS_FILE,
    stack: values.stack,
  };
}

function parseEvents(list: string | undefined, warnings: string[]): EventTypeName[] {
  if (list === undefined) return [...HANDLED_EVENTS];
  const names = [...new Set(list.split(',').map((name) => name.trim()).filter((name) => name.length > 0))];
  if (names.length === 0) throw new UsageError('--events lists no event type.');
  const unknown = names.filter((name) => !isEventType(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `--events: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not an event type' : 'are not event types'} of FusionAuth. ` +
        `Its types: ${Object.keys(EVENT_KINDS).filter((name) => EVENT_KINDS[name as EventTypeName] !== 'test').join(', ')}.`,
    );
  }
  const events = names as EventTypeName[];
  if (events.includes('test')) {
    throw new UsageError('--events: "test" is only the type of the sends from Settings → Webhooks → Test; there is nothing to enable.');
  }
  for (const event of events.filter((type) => !isHandled(type))) {
    warnings.push(`${event}: the webhook has no handler for it, so it will be answered 200 and ignored.`);
  }
  return events;
}

function parseConfirmationKey(mode: string | undefined, secretId: string | undefined): ConfirmationKeyOptions | undefined {
  if (mode === undefined) {
    if (secretId !== undefined) throw new UsageError('--confirmation-key-secret goes with --confirmation-key stack.');
    return undefined;
  }
  if (mode === 'print') {
    if (secretId !== undefined) throw new UsageError('--confirmation-key-secret goes with --confirmation-key stack, not print.');
    return { mode };
  }
  if (mode === 'stack') return { mode, secretId: secretId?.trim() || undefined };
  throw new UsageError(`--confirmation-key: "${mode}" is not print or stack.`);
}

function parseTransactionType(value: string | undefined): TransactionType {
  if (value === undefined) return DEFAULT_TRANSACTION_TYPE;
  const type = TRANSACTION_TYPES.find((candidate) => candidate === value);
  if (!type) throw new UsageError(`--transaction: "${value}" is not one of ${TRANSACTION_TYPES.join(', ')}.`);
  return type;
}

function parseTenants(ids: readonly string[], global: boolean): TenantScope {
  if (global && ids.length > 0) throw new UsageError('Give either --global or --tenant, not both.');
  if (global) return { global: true };
  if (ids.length === 0) {
    throw new UsageError('Say whose events go to the webhook: --tenant <id> (repeat it for several), or --global for all tenants.');
  }
  return { global: false, tenantIds: [...new Set(ids.map((id) => uuid('--tenant', id)))] };
}

/** The credentials FusionAuth must send: those the webhook checks (WEBHOOK_AUTH), and any given. */
function parseWebhookAuth(values: Flags, env: Env) {
  const auth = parseAuthModes(values.auth ?? read(env, 'WEBHOOK_AUTH') ?? DEFAULT_AUTH);
  const header = values['api-key-header'] ?? read(env, 'WEBHOOK_API_KEY_HEADER') ?? DEFAULT_API_KEY_HEADER;
  if (!HEADER_NAME.test(header)) throw new UsageError(`--api-key-header: "${header}" is not an HTTP header name.`);
  const apiKeyHeader = auth.has('api-key') ? header : undefined;
  const basicAuth = parseBasicAuth(values['basic-auth'] ?? read(env, 'WEBHOOK_BASIC_AUTH'));
  if (auth.has('basic') && !basicAuth) {
    throw new UsageError('The webhook checks Basic credentials (basic in --auth): give them with --basic-auth user:password or WEBHOOK_BASIC_AUTH.');
  }
  if (basicAuth && apiKeyHeader?.toLowerCase() === 'authorization') {
    throw new UsageError(
      'HTTP Basic credentials travel in the Authorization header, where the API key goes by default: ' +
        'send the key in another header with --api-key-header (for example X-API-Key).',
    );
  }
  const signingKeyId = values['signing-key-id'] === undefined ? undefined : uuid('--signing-key-id', values['signing-key-id']);
  if (auth.has('signature') && !signingKeyId) {
    throw new UsageError('The webhook checks signatures (signature in --auth): name the Key Master key to sign with, --signing-key-id <uuid>.');
  }
  return { apiKeyHeader, basicAuth, signingKeyId };
}

function parseAuthModes(value: string): ReadonlySet<string> {
  const modes = parseList(value);
  const unknown = modes.filter((mode) => !(AUTH_MODES as readonly string[]).includes(mode));
  if (modes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--auth (or WEBHOOK_AUTH): "${value}" is not a list of ${AUTH_MODES.join(', ')}.`);
  }
  return new Set(modes);
}

/** `user:password`; the webhook takes one pair per line while they rotate, and the first is current. */
function parseBasicAuth(value: string | undefined): BasicAuth | undefined {
  if (value === undefined) return undefined;
  const pair = parseLines(value)[0] ?? '';
  // RFC 7617: the user-id cannot hold a colon, the password can.
  const colon = pair.indexOf(':');
  if (colon <= 0 || colon === pair.length - 1) {
    throw new UsageError('--basic-auth (or WEBHOOK_BASIC_AUTH) takes user:password, both non-empty.');
  }
  return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
}

/** The client appends `/api/...` to it, so a trailing slash would double. */
const baseUrl = (value: string | undefined): string =>
  httpUrl('--fusionauth-url', required(value, "--fusionauth-url <url> is required: FusionAuth's base URL.")).replace(/\/+$/, '');

function required(value: string | undefined, message: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(message);
  return value.trim();
}

function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: "${value}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${flag}: "${value}" is not an http(s) URL.`);
  return value;
}

/** FusionAuth stores UUIDs in lower case; comparing with what it returns needs the same. */
function uuid(flag: string, value: string): string {
  if (!UUID.test(value)) throw new UsageError(`${flag}: "${value}" is not a UUID.`);
  return value.toLowerCase();
}

function milliseconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) throw new UsageError(`${flag}: "${value}" is not a whole number of milliseconds above 0.`);
  return ms;
}
