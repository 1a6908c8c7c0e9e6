/**
 * `npm run reconcile -- [--apply] [options]`: finds the users who own Todos in the deletion
 * targets but no longer exist in FusionAuth (deleted while the webhook never heard), and with
 * --apply erases them through the erasure ledger. A dry run by default. See docs/reconcile.md.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDbErasureLedger } from '../lambda/erasure/dynamodb-ledger.ts';
import { readErasureConfig } from '../lambda/erasure/erasure-config.ts';
import { isSecureUrl } from '../lambda/erasure/erasure-limits.ts';
import { fusionAuthUserSearch, fusionAuthUsers } from '../lambda/erasure/fusionauth-users.ts';
import { DEFAULT_MAX_MISSING, MaxMissingError, parseMaxMissing, percent } from '../lambda/reconcile/missing-ratio.ts';
import { RateLimiter } from '../lambda/reconcile/rate-limiter.ts';
import { ReconcileEraser } from '../lambda/reconcile/reconcile-erasure.ts';
import { type ReconcileReport, runReconcile } from '../lambda/reconcile/reconcile-run.ts';
import {
  DEFAULT_GET_CONCURRENCY,
  DEFAULT_SEARCH_BATCH,
  FusionAuthRefusedError,
  FusionAuthUnavailableError,
  getChecker,
  LOOKUP_METHODS,
  type LookupMethod,
  MAX_SEARCH_BATCH,
  searchChecker,
} from '../lambda/reconcile/user-checker.ts';
import { DynamoDbTodoEraser } from '../lambda/targets/dynamodb-todo-eraser.ts';
import { resolveTargets } from '../lambda/targets/table-schema.ts';
import { applyLocalDefaults } from './local-defaults.ts';
import { OutputsFileError, readOutputsFile, stackTablesClient } from './local-tables.ts';
import { ReconcileProgress } from './reconcile-progress.ts';

export const USAGE = `usage: npm run reconcile -- [--apply] [options]

Finds the users who own Todos in the deletion targets but no longer exist in FusionAuth, and
prints them with their Todo count per target (a dry run). With --apply, records each in the
erasure ledger as confirmed by reconcile and erases their Todos; it also resolves the ledger's
unconfirmed requests. Refuses to erase when too many users are missing.

FusionAuth:
  --fusionauth-url <url>   FusionAuth's base URL (or FUSIONAUTH_URL)
  --api-key <key>          an API key (or FUSIONAUTH_API_KEY) allowed POST on /api/user/search,
                           or GET on /api/user with --lookup get
  --lookup <search|get>    one search by many ids, or one GET per user (default search)
  --batch-size <n>         ids per search, 1 to ${MAX_SEARCH_BATCH} (default ${DEFAULT_SEARCH_BATCH})
  --concurrency <n>        lookups in flight at once (default 4 searches, ${DEFAULT_GET_CONCURRENCY} GETs)
  --rps <n>                requests per second to FusionAuth at most (default 20)
  --tenant-id <id>         X-FusionAuth-TenantId, for keys whose template names no tenant
                           (a template with {tenantId} sends each user's own)
Safety:
  --max-missing <share>    refuse to erase when more than this share of the users checked is
                           missing: 20% (default), 0.2, or 100% to turn the refusal off
  --apply                  record and erase (default: a dry run that changes nothing)
  --lease <seconds>        how long one erasure holds its user (default 60): a run killed
                           mid-erasure leaves that user to the next run after this long
Tables (the settings npm run erasures reads: DELETION_TARGETS or TODO_TABLE_NAME,
ERASURE_LEDGER_TABLE_NAME; the endpoint from AWS_ENDPOINT_URL_DYNAMODB, or npm start's
on DYNAMODB_PORT, else AWS's):
  --segments <n>           parallel Scan segments per target (default 4)
  --outputs-file <file>    cdk deploy --outputs-file: its ErasureLedgerTableName and TodoTableName
  --region <region>        as the AWS CLI takes it
  --profile <profile>      as the AWS CLI takes it
Output:
  --json                   the report as JSON on stdout
  -h, --help

Exit codes: 0 done (or nothing to do), 1 refused or failed, 2 usage.`;

class UsageError extends Error {}

const OPTIONS = {
  'fusionauth-url': { type: 'string' },
  'api-key': { type: 'string' },
  lookup: { type: 'string', default: 'search' },
  'batch-size': { type: 'string' },
  concurrency: { type: 'string' },
  rps: { type: 'string', default: '20' },
  'tenant-id': { type: 'string' },
  'max-missing': { type: 'string', default: `${DEFAULT_MAX_MISSING * 100}%` },
  apply: { type: 'boolean', default: false },
  lease: { type: 'string', default: '60' },
  segments: { type: 'string', default: '4' },
  'outputs-file': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function wholeNumber(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}.`);
  return value;
}

function readCommandLine(argv: readonly string[], env: Record<string, string | undefined>) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  const lookup = values.lookup as LookupMethod;
  if (!LOOKUP_METHODS.includes(lookup)) throw new UsageError(`--lookup takes ${LOOKUP_METHODS.join(' or ')}.`);
  let maxMissing: number;
  try {
    maxMissing = parseMaxMissing(values['max-missing']);
  } catch (error) {
    if (error instanceof MaxMissingError) throw new UsageError(`--${error.message}`);
    throw error;
  }
  const rps = Number(values.rps);
  if (!(rps > 0)) throw new UsageError('--rps must be a number above 0.');
  return {
    help: values.help,
    url: values['fusionauth-url'] ?? env.FUSIONAUTH_URL,
    apiKey: values['api-key'] ?? env.FUSIONAUTH_API_KEY,
    lookup,
    batchSize: wholeNumber(values['batch-size'], 'batch-size', 1, MAX_SEARCH_BATCH) ?? DEFAULT_SEARCH_BATCH,
    concurrency: wholeNumber(values.concurrency, 'concurrency', 1, 64) ?? (lookup === 'search' ? 4 : DEFAULT_GET_CONCURRENCY),
    rps,
    tenantId: values['tenant-id'],
    maxMissing,
    apply: values.apply,
    leaseMs: wholeNumber(values.lease, 'lease', 1, 3_600)! * 1000,
    segments: wholeNumber(values.segments, 'segments', 1, 1_000)!,
    outputsFile: values['outputs-file'],
    region: values.region,
    profile: values.profile,
    json: values.json,
  };
}

export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let args;
  try {
    args = readCommandLine(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (!args.url) throw new UsageError('FusionAuth\'s URL is missing: pass --fusionauth-url or set FUSIONAUTH_URL.');
    if (!isSecureUrl(args.url)) throw new UsageError('--fusionauth-url must be an https URL (http only to localhost).');
    if (!args.apiKey) throw new UsageError('The FusionAuth API key is missing: pass --api-key or set FUSIONAUTH_API_KEY.');
    if (args.outputsFile) readOutputsFile(args.outputsFile, env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof OutputsFileError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }

  const { client, where } = stackTablesClient(env, args.region, args.profile);
  // The tables as npm run erasures reads them; FusionAuth's settings are this tool's own.
  const { FUSIONAUTH_URL: _url, FUSIONAUTH_API_KEY: _key, FUSIONAUTH_API_KEY_SECRET_ARN: _arn, ...tableEnv } = env;
  const progress = new ReconcileProgress(process.stderr);
  try {
    const config = readErasureConfig(applyLocalDefaults({ ...tableEnv }));
    const targets = await resolveTargets(client, config.targets);
    const apiKey = { list: async () => [args.apiKey!] };
    const rateLimiter = new RateLimiter(args.rps);
    const checker =
      args.lookup === 'search'
        ? searchChecker(fusionAuthUserSearch({ url: args.url, apiKey }), { rateLimiter, batchSize: args.batchSize })
        : getChecker(fusionAuthUsers({ url: args.url, apiKey }), { rateLimiter, concurrency: args.concurrency });
    const tenantChecker = args.tenantId ? { ...checker, check: (ids: readonly string[], tenantId: string | undefined, signal?: AbortSignal) => checker.check(ids, tenantId ?? args.tenantId, signal) } : checker;
    const ledger = new DynamoDbErasureLedger(client, config.ledgerTableName);
    const eraser = new ReconcileEraser({
      ledger,
      eraser: new DynamoDbTodoEraser(client, { indexSettleMs: config.indexSettleMs }),
      targets,
      settings: config.settings,
      leaseMs: args.leaseMs,
      // The report says what happened; the lifecycle's own log lines would only crowd stdout.
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    console.error(`reconcile: ${args.apply ? 'applying' : 'dry run'}; DynamoDB ${where}; FusionAuth ${args.url} (${args.lookup}, ${args.rps} requests/s)`);
    const report = await runReconcile(
      { client, targets, checker: tenantChecker, ledger, eraser, todoApplicationId: config.settings.todoApplicationId, progress: (event) => progress.update(event) },
      { segments: args.segments, maxMissing: args.maxMissing, concurrency: args.concurrency, apply: args.apply },
    );
    progress.end();
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else console.log(describe(report));
    return report.verdict === 'refused' || report.failed > 0 ? 1 : 0;
  } catch (error) {
    progress.end();
    if (error instanceof FusionAuthRefusedError || error instanceof FusionAuthUnavailableError) {
      console.error(`reconcile stopped, nothing erased after this: ${error.message}`);
    } else {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      console.error(`reconcile failed: ${reason}\n(DynamoDB endpoint: ${where})`);
    }
    if (args.json) console.log(JSON.stringify({ error: error instanceof Error ? { name: error.name, message: error.message } : String(error) }));
    return 1;
  } finally {
    client.destroy();
  }
}

/** The report as a person reads it. */
export function describe(report: ReconcileReport): string {
  const lines: string[] = [];
  for (const target of report.targets) {
    lines.push(target.skipped ? `target ${target.name}: skipped: ${target.skipped}` : `target ${target.name}: ${target.items} items scanned${target.unmatched ? `, ${target.unmatched} not a user's (their keys do not match the target's templates)` : ''}`);
  }
  if (report.missingUsers.length > 0) {
    lines.push('', `${report.apply && report.verdict === 'within' ? 'erased' : 'missing in FusionAuth'}:`);
    for (const user of report.missingUsers) {
      const counts = Object.entries(user.todos).map(([target, count]) => `${target} ${count}`).join(', ');
      const erasure = user.erasure ? ` -> ${user.erasure.outcome}${user.erasure.todosDeleted ? ` (${user.erasure.todosDeleted} deleted)` : ''}${user.erasure.error ? `: ${user.erasure.error}` : ''}` : '';
      lines.push(`  ${user.userId}${user.tenantId ? ` (tenant ${user.tenantId})` : ''}: ${user.totalTodos} Todos (${counts})${erasure}`);
    }
  }
  if (report.unconfirmed.length > 0) {
    lines.push('', 'unconfirmed requests:');
    for (const entry of report.unconfirmed) {
      const verb = entry.action === 'confirm' ? (entry.done ? 'confirmed and erased' : 'to confirm and erase') : entry.action === 'roll-back' ? (entry.done ? 'rolled back' : 'to roll back') : 'left alone';
      lines.push(`  ${entry.userId} (${entry.scope}, cycle ${entry.cycle}): ${entry.found} -> ${verb}${entry.error ? `: ${entry.error}` : ''}`);
    }
  }
  if (report.resumed.length > 0) {
    lines.push('', 'carried on from an earlier run:');
    for (const entry of report.resumed) lines.push(`  ${entry.userId} (${entry.scope}): ${entry.outcome}${entry.error ? `: ${entry.error}` : ''}`);
  }
  const ids = report.notFusionAuthIds;
  if (ids.items > 0) {
    lines.push('', `not a FusionAuth id: ${ids.items} items of ${ids.ids} ids that are not UUIDs (e.g. ${ids.examples.join(', ')}): never checked, never erased`);
  }
  lines.push('', `${report.checked} users checked, ${report.missing} missing in FusionAuth (${percent(report.ratio)}; max-missing ${percent(report.maxMissing)})${report.stoppedEarly ? ', stopped early' : ''}`);
  if (report.verdict === 'refused') lines.push(`refused: ${report.reason}`);
  else if (report.apply) lines.push(`${report.erased} users erased, ${report.todosDeleted} Todos deleted${report.failed ? `; ${report.failed} failed, run again to resume` : ''}`);
  else if (report.missingUsers.length > 0 || report.unconfirmed.length > 0) lines.push('dry run: nothing changed; run with --apply to erase them');
  else lines.push('nothing to do');
  return lines.join('\n');
}

// import.meta.main is Node 24's; the path test covers an older node run by hand.
if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await main(process.argv.slice(2)));
