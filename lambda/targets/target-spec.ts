import { type Env, read } from '../env.ts';
import { ConfigurationError } from '../errors.ts';
import { type KeyTemplate, parseKeyTemplate } from './key-template.ts';

/** Which erasures a target takes part in: a deleted user, or a user removed from the Todo application. */
export type ErasureScope = 'user' | 'registration';
export const ERASURE_SCOPES: readonly ErasureScope[] = ['user', 'registration'];

/** Where one user's data is, as DELETION_TARGETS (or the construct's `targets`) describes it. */
export interface DeletionTargetSpec {
  /** The table's name. */
  readonly table: string;
  /** A secondary index to find the user's items by; each is deleted by the table key it carries. */
  readonly index?: string;
  /** The partition key's value: a template of the event's fields. @default '{userId}' */
  readonly partitionKey?: string;
  /** One `begins_with` Query each, within the partition; without them the whole partition goes. */
  readonly sortKeyPrefixes?: readonly string[];
  /** The attribute that holds the partition key's value, when it is not the table's partition key: an index on it is found. */
  readonly attribute?: string;
  /** Fold the rendered keys to lower case, as ElectroDB stores them. @default false */
  readonly lowerCase?: boolean;
  /** @default ['user', 'registration'] */
  readonly on?: readonly ErasureScope[];
}

/** A target as checked at start, before its table is described. */
export interface DeletionTarget {
  /** How logs, the ledger and messages name it: the table, `/index`, and `#2` for a repeat. */
  readonly name: string;
  readonly table: string;
  readonly index: string | undefined;
  readonly attribute: string | undefined;
  readonly partitionKey: KeyTemplate;
  readonly sortKeyPrefixes: readonly KeyTemplate[];
  readonly lowerCase: boolean;
  readonly on: ReadonlySet<ErasureScope>;
}

/** The one-table layout of TODO_TABLE_NAME: the user id is the partition key, every item of it goes. */
export interface ShorthandTable {
  readonly tableName: string;
  /** When set, the table's keys must have these names. */
  readonly userIdAttribute: string;
  readonly sortKeyAttribute: string | undefined;
}

export interface TargetsConfig {
  readonly targets: readonly DeletionTarget[];
  /** Set when the targets came from TODO_TABLE_NAME: what `npm start` may create. */
  readonly shorthand: ShorthandTable | undefined;
}

const SPEC_FIELDS = new Set(['table', 'index', 'partitionKey', 'sortKeyPrefixes', 'attribute', 'lowerCase', 'on']);

/** DELETION_TARGETS, or the TODO_TABLE_NAME shorthand; a list that could not erase exactly one user is refused here. */
export function readTargetsConfig(env: Env): TargetsConfig {
  const listed = read(env, 'DELETION_TARGETS');
  const tableName = read(env, 'TODO_TABLE_NAME');
  if (listed) {
    if (tableName) {
      throw new ConfigurationError('Set DELETION_TARGETS or TODO_TABLE_NAME, not both: TODO_TABLE_NAME is the one-target shorthand of DELETION_TARGETS.');
    }
    let specs: unknown;
    try {
      specs = JSON.parse(listed);
    } catch {
      throw new ConfigurationError('DELETION_TARGETS is not JSON: it takes an array of targets, e.g. [{"table": "Todos"}].');
    }
    return { targets: checkTargetSpecs(specs), shorthand: undefined };
  }
  if (!tableName) {
    throw new ConfigurationError('Neither DELETION_TARGETS nor TODO_TABLE_NAME is set: name where the Todos of a user are.');
  }
  const shorthand: ShorthandTable = {
    tableName,
    userIdAttribute: read(env, 'TODO_USER_ID_ATTRIBUTE') ?? 'userId',
    sortKeyAttribute: read(env, 'TODO_SORT_KEY_ATTRIBUTE'),
  };
  return { targets: checkTargetSpecs([{ table: tableName, attribute: shorthand.userIdAttribute }]), shorthand };
}

/** Checks what can be checked without the tables: each target must reach one user's items and no one else's. */
export function checkTargetSpecs(specs: unknown): DeletionTarget[] {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new ConfigurationError('DELETION_TARGETS must be a non-empty array of targets, e.g. [{"table": "Todos"}].');
  }
  const seen = new Map<string, number>();
  return specs.map((spec: unknown, position) => {
    const target = checkTargetSpec(spec, position);
    const count = (seen.get(target.name) ?? 0) + 1;
    seen.set(target.name, count);
    return count === 1 ? target : { ...target, name: `${target.name}#${count}` };
  });
}

function checkTargetSpec(spec: unknown, position: number): DeletionTarget {
  let where = `DELETION_TARGETS[${position}]`;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ConfigurationError(`${where} must be an object.`);
  const fields = spec as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !SPEC_FIELDS.has(key));
  if (unknown) throw new ConfigurationError(`${where} has "${unknown}"; a target takes ${[...SPEC_FIELDS].join(', ')}.`);
  const table = text(fields.table, `${where}.table`, true)!;
  const index = text(fields.index, `${where}.index`);
  const attribute = text(fields.attribute, `${where}.attribute`);
  const name = index ? `${table}/${index}` : table;
  where = `Deletion target ${position + 1} (${name})`;

  const partitionKey = parseKeyTemplate(text(fields.partitionKey, `${where} partitionKey`) ?? '{userId}', `${where} partitionKey`);
  if (partitionKey.fields.length === 0) {
    throw new ConfigurationError(`${where} partitionKey "${partitionKey.source}" is a constant: it would erase the same items for every user.`);
  }
  const prefixes = fields.sortKeyPrefixes;
  if (prefixes !== undefined && (!Array.isArray(prefixes) || prefixes.length === 0)) {
    throw new ConfigurationError(`${where} sortKeyPrefixes must be a non-empty array of templates, or left out to erase the whole partition.`);
  }
  const sortKeyPrefixes = ((prefixes ?? []) as unknown[]).map((prefix, n) => {
    const template = parseKeyTemplate(prefix as string, `${where} sortKeyPrefixes[${n}]`);
    if (template.endsWithField) {
      throw new ConfigurationError(
        `${where} sortKeyPrefixes[${n}] "${template.source}" ends with {${template.fields.at(-1)}}: as a prefix it would also match ` +
          `longer values (user#abc matches user#abcd). End it with a delimiter, e.g. "${template.source}#".`,
      );
    }
    return template;
  });
  if (!partitionKey.userSpecific) {
    if (sortKeyPrefixes.length === 0) {
      throw new ConfigurationError(
        `${where} partitionKey "${partitionKey.source}" is shared by many users: name the user's items with sortKeyPrefixes such as "USER#{userId}#".`,
      );
    }
    const shared = sortKeyPrefixes.find((prefix) => !prefix.userSpecific);
    if (shared) {
      throw new ConfigurationError(
        `${where} sortKeyPrefix "${shared.source}" names no user, in a partition shared by many users: it would erase other users' items.`,
      );
    }
  }
  if (fields.lowerCase !== undefined && typeof fields.lowerCase !== 'boolean') throw new ConfigurationError(`${where} lowerCase must be true or false.`);
  return {
    name,
    table,
    index,
    attribute,
    partitionKey,
    sortKeyPrefixes,
    lowerCase: fields.lowerCase === true,
    on: checkScopes(fields.on, where),
  };
}

function checkScopes(on: unknown, where: string): ReadonlySet<ErasureScope> {
  if (on === undefined) return new Set(ERASURE_SCOPES);
  const listed = Array.isArray(on) ? on : [on];
  if (listed.length === 0 || !listed.every((scope) => (ERASURE_SCOPES as readonly unknown[]).includes(scope))) {
    throw new ConfigurationError(`${where} on must list "user", "registration" or both.`);
  }
  return new Set(listed as ErasureScope[]);
}

function text(value: unknown, where: string, required = false): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigurationError(`${where} must be a non-empty string.`);
  return value;
}
