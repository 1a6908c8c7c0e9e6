/**
 * `npm run erasures [-- --state <state>] [--json]` lists the erasure ledger;
 * `npm run erasures -- show <userId> [--json]` shows one user's receipts. Against the same
 * endpoint as `npm run todos`, or, with `--outputs-file`, `--region` or `--profile`, the
 * deployed stack's ledger with the AWS CLI's credentials.
 */
import { parseArgs } from 'node:util';
import { DynamoDbErasureLedger } from '../lambda/erasure/dynamodb-ledger.ts';
import { ERASURE_STATES, type ErasureRecord, type ErasureState } from '../lambda/erasure/ledger.ts';
import { requireId } from '../lambda/events/fields.ts';
import { ERASURE_SCOPES } from '../lambda/targets/target-spec.ts';
import { failTool, localTables, OutputsFileError, readOutputsFile, stackTablesClient } from './local-tables.ts';

const USAGE = `usage: npm run erasures [-- --state <${ERASURE_STATES.join('|')}>] [--json] [deployed stack]
       npm run erasures -- show <userId> [--json] [deployed stack]
deployed stack (else npm start's tables):
  --outputs-file <file>  cdk deploy --outputs-file: its ErasureLedgerTableName
  --region <region>      as the AWS CLI takes it
  --profile <profile>    as the AWS CLI takes it`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      state: { type: 'string' },
      json: { type: 'boolean', default: false },
      'outputs-file': { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  usage((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const state = values.state as ErasureState | undefined;
if (state !== undefined && !ERASURE_STATES.includes(state)) usage(`--state takes ${ERASURE_STATES.join(', ')}`);
const [command, userIdArgument] = positionals;
if (command !== undefined && (command !== 'show' || !userIdArgument || positionals.length > 2)) usage();

const { client, ledgerTableName, endpoint } = tables();
const ledger = new DynamoDbErasureLedger(client, ledgerTableName);

try {
  let records: ErasureRecord[] = [];
  if (command === 'show') {
    const userId = requireId(userIdArgument, 'userId');
    for (const scope of ERASURE_SCOPES) {
      const record = await ledger.get(userId, scope);
      if (record) records.push(record);
    }
  } else {
    let after: string | undefined;
    do {
      const page = await ledger.list({ state, after, limit: 500 });
      records.push(...page.records);
      after = page.next;
    } while (after);
    records = records.sort((a, b) => a.requestedAt - b.requestedAt);
  }
  if (values.json) console.log(JSON.stringify(command === 'show' ? { userId: userIdArgument, erasures: records } : { erasures: records, counts: countByState(records) }, null, 2));
  else if (command === 'show') print(records.length ? records.map(detail).join('\n\n') : `no erasure recorded for ${userIdArgument}`);
  else print(table(records));
} catch (error) {
  failTool(error, endpoint);
}

function countByState(records: readonly ErasureRecord[]): Record<string, number> {
  return Object.fromEntries(ERASURE_STATES.map((s) => [s, records.filter((record) => record.state === s).length]));
}

function table(records: readonly ErasureRecord[]): string {
  if (records.length === 0) return state ? `no erasure is ${state}` : 'the ledger is empty';
  const now = Date.now();
  const rows = records.map((r) => [r.userId, r.scope, r.state, age(now - r.requestedAt), r.confirmedBy ?? '', String(r.todosDeleted), r.reason ?? r.lastCheck ?? '']);
  const header = ['USER', 'SCOPE', 'STATE', 'AGE', 'CONFIRMED BY', 'TODOS', 'NOTE'];
  const widths = header.map((title, n) => Math.max(title.length, ...rows.map((row) => row[n]!.length)));
  const line = (cells: string[]) => cells.map((text, n) => (n === 5 ? text.padStart(widths[n]!) : text.padEnd(widths[n]!))).join('  ').trimEnd();
  const counts = Object.entries(countByState(records)).filter(([, count]) => count > 0).map(([s, count]) => `${count} ${s}`);
  return [line(header), ...rows.map(line), '', `${records.length} erasure(s): ${counts.join(', ')}`].join('\n');
}

function detail(r: ErasureRecord): string {
  const at = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  const fields: [string, string | number | undefined][] = [
    ['user', r.userId],
    ['scope', r.scope],
    ['state', r.state],
    ['cycle', r.cycle],
    ['requested', at(r.requestedAt)],
    ['confirmed', r.confirmedAt ? `${at(r.confirmedAt)} by ${r.confirmedBy}` : undefined],
    ['erased', at(r.erasedAt) || undefined],
    ['ended', r.endedAt ? `${at(r.endedAt)}: ${r.reason}` : undefined],
    ['todos deleted', `${r.todosDeleted}${Object.keys(r.deletedByTarget).length ? ` (${Object.entries(r.deletedByTarget).map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}`],
    ['checks', r.checks ? `${r.checks}, last: ${r.lastCheck} at ${at(r.lastCheckAt)}` : undefined],
    ['events', r.events.map((e) => `${e.type} ${e.id ?? '(no id)'} at ${at(e.at)}`).join('\n               ')],
    ['expires', r.expiresAt ? new Date(r.expiresAt * 1000).toISOString() : 'never (open)'],
  ];
  return fields.filter(([, value]) => value !== undefined && value !== '').map(([name, value]) => `${name.padEnd(14)} ${value}`).join('\n');
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}

function print(text: string): void {
  console.log(text);
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(USAGE);
  process.exit(2);
}

function tables() {
  const { 'outputs-file': outputsFile, region, profile } = values;
  if (!outputsFile && !region && !profile) {
    const local = localTables(process.env);
    return { client: local.client, ledgerTableName: local.config.ledgerTableName, endpoint: local.endpoint };
  }
  const env = process.env;
  try {
    if (outputsFile) readOutputsFile(outputsFile, env);
  } catch (error) {
    if (error instanceof OutputsFileError) usage(error.message);
    throw error;
  }
  if (!env.ERASURE_LEDGER_TABLE_NAME) usage('the ledger table is unknown: pass --outputs-file, or set ERASURE_LEDGER_TABLE_NAME');
  const { client, where } = stackTablesClient(env, region, profile);
  return { client, ledgerTableName: env.ERASURE_LEDGER_TABLE_NAME, endpoint: where };
}
