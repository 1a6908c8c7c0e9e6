import { Stack, Token, Validations } from 'aws-cdk-lib';
import { CfnGlobalTable, CfnTable, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
// The runtime's own checks, so a target that cannot work fails `cdk synth` with the message the
// function would log. Both modules import the AWS SDK for types only: nothing of it is loaded here.
import { resolveTarget } from '../lambda/targets/target-keys.ts';
import { checkTargetSpecs, type DeletionTarget, type ErasureScope, type ShorthandTable } from '../lambda/targets/target-spec.ts';

export interface TodoTableProps {
  /**
   * An existing table to erase Todos from, e.g. `Table.fromTableName(...)` or a table of the
   * same app (whose keys and indexes are then checked at synth).
   * @default - a new table: on demand, point-in-time recovery, deletion protection, retained
   */
  readonly table?: ITable;
  /**
   * The attribute that holds the FusionAuth user id: the table's partition key, or the partition
   * key of one of its indexes.
   * @default 'userId'
   */
  readonly userIdAttribute?: string;
  /**
   * The sort key attribute, one Todo of that user. Of an existing table, it is checked when
   * given (at start, and at synth for a table of the same app).
   * @default - 'todoId' for a new table; an existing table's sort key is not checked
   */
  readonly sortKeyAttribute?: string;
}

/**
 * One place a user's items are (DELETION_TARGETS, whose fields lambda/targets/target-spec.ts
 * documents). Every item the target's Query finds is deleted by the table's key.
 */
export interface DeletionTargetProps {
  /**
   * The table. One of the same app is checked at synth against what the target names (its
   * keys, its indexes); an imported one (`Table.fromTableName`) when the function starts.
   */
  readonly table: ITable;
  /**
   * A secondary index to find the user's items by.
   * @default - the table itself, or the index whose partition key is `attribute`
   */
  readonly index?: string;
  /**
   * The partition key's value: a template of event fields, `{userId}`, `{tenantId}`,
   * `{applicationId}`, `{user.username}`, `{user.email}` or `{user.data.<field>}`.
   * @default '{userId}'
   */
  readonly partitionKey?: string;
  /**
   * Templates of sort key prefixes, one `begins_with` Query each; each must end with a
   * delimiter, not a field.
   * @default - the whole partition
   */
  readonly sortKeyPrefixes?: readonly string[];
  /**
   * The attribute that holds the partition key's value when it is not the table's partition key:
   * the index that has it as its partition key is queried.
   * @default - the partition key of the table, or of `index`
   */
  readonly attribute?: string;
  /**
   * Fold the rendered keys to lower case, as ElectroDB stores them.
   * @default false
   */
  readonly lowerCase?: boolean;
  /**
   * Which erasures the target takes part in: a deleted user, a user removed from the Todo application.
   * @default ['user', 'registration']
   */
  readonly on?: readonly ErasureScope[];
}

/** A target as the runtime reads it from DELETION_TARGETS, its table by name. */
type TargetSpec = Omit<DeletionTargetProps, 'table'> & { readonly table: string };
type TableDescription = Parameters<typeof resolveTarget>[1];

interface BoundTarget {
  readonly table: ITable;
  /** What the target's Query reads: the table, an index, or (when only the function can tell) either. */
  readonly queried: readonly string[];
}

/**
 * Where the Todos are, checked as the function checks them at start, and what erasing them
 * takes: DescribeTable (once, at start) and BatchWriteItem on each table, Query on what each
 * target reads.
 */
export class DeletionTargets {
  /** The one-table shorthand: the user's items are those whose `userIdAttribute` is their id (TODO_TABLE_NAME). */
  static fromTodoTable(table: ITable, keys: { readonly userIdAttribute: string; readonly sortKeyAttribute?: string }): DeletionTargets {
    const name = displayName(table);
    const shorthand: ShorthandTable = { tableName: name, userIdAttribute: keys.userIdAttribute, sortKeyAttribute: keys.sortKeyAttribute };
    // The target the runtime derives from TODO_TABLE_NAME (readTargetsConfig).
    const [target] = checked('todoTable', [{ table: name, attribute: keys.userIdAttribute }]);
    return new DeletionTargets([bind(table, target!, shorthand)], {
      DELETION_TARGETS: '',
      TODO_TABLE_NAME: table.tableName,
      TODO_USER_ID_ATTRIBUTE: keys.userIdAttribute,
      TODO_SORT_KEY_ATTRIBUTE: keys.sortKeyAttribute ?? '',
    });
  }

  /** Any number of tables and layouts (DELETION_TARGETS). */
  static fromTargets(scope: Construct, targets: readonly DeletionTargetProps[]): DeletionTargets {
    const specs = (tableName: (table: ITable) => string): TargetSpec[] => targets.map(({ table, ...fields }) => ({ table: tableName(table), ...fields }));
    const bound = checked('targets', specs(displayName)).map((target, n) => bind(targets[n]!.table, target, undefined));
    return new DeletionTargets(bound, {
      // The table names may be tokens, which toJsonString renders into the JSON.
      DELETION_TARGETS: Stack.of(scope).toJsonString(specs((table) => table.tableName)),
      TODO_TABLE_NAME: '',
      TODO_USER_ID_ATTRIBUTE: '',
      TODO_SORT_KEY_ATTRIBUTE: '',
    });
  }

  /** Each table once, in the order the targets name them. */
  readonly tables: readonly ITable[];

  private constructor(
    private readonly targets: readonly BoundTarget[],
    /** Both functions' variables: the targets, and the other form declared empty for `sam local --env-vars`. */
    readonly environment: Readonly<Record<string, string>>,
  ) {
    this.tables = [...new Set(targets.map(({ table }) => table))];
  }

  /** Exactly the calls an erasure makes on the targets' tables (lambda/targets/dynamodb-todo-eraser.ts). */
  grantErasure(fn: IFunction): void {
    const tableArns = this.tables.map(({ tableArn }) => tableArn);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:BatchWriteItem'], resources: tableArns }));
    const queried = [...new Set(this.targets.flatMap((target) => target.queried))];
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: queried }));
    for (const anyIndex of queried.filter((resource) => resource.endsWith('/index/*'))) {
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(Stack.of(fn), anyIndex)}]`,
        reason:
          'A target with `attribute` on an imported table: whether the function queries the table or the index ' +
          'whose partition key is that attribute is only known once it describes the table at start. Query is ' +
          "allowed on that table's indexes, nothing else; naming the index in the target narrows it to that one.",
      });
    }
  }

  /**
   * Scan on what each target reads (its table, or its index), for a scheduled reconcile alone
   * (lambda/reconcile/key-scan.ts): an erasure never scans.
   */
  grantReconcileScan(fn: IFunction): void {
    const queried = [...new Set(this.targets.flatMap((target) => target.queried))];
    fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: queried }));
  }
}

/** The runtime's static checks, their message prefixed with the prop checked. */
function checked(prop: string, specs: readonly TargetSpec[]): DeletionTarget[] {
  return refusedAs(prop, () => checkTargetSpecs(specs));
}

/**
 * What the target queries. A table of the same app is described from its template, which is what
 * DescribeTable will return, and the target resolved exactly as the function will; an imported one
 * is known by name only.
 */
function bind(table: ITable, target: DeletionTarget, shorthand: ShorthandTable | undefined): BoundTarget {
  const indexArn = (index: string) => `${table.tableArn}/index/${index}`;
  const description = describe(table);
  if (description) {
    const { indexName } = refusedAs(shorthand ? 'todoTable' : 'targets', () => resolveTarget(target, description, shorthand));
    return { table, queried: [indexName ? indexArn(indexName) : table.tableArn] };
  }
  if (target.index) return { table, queried: [indexArn(target.index)] };
  // The table's partition key may be `attribute`, or one of its indexes may have it: either is read.
  if (target.attribute) return { table, queried: [table.tableArn, indexArn('*')] };
  return { table, queried: [table.tableArn] };
}

/** The table's keys and indexes as DescribeTable returns them, for a table this app defines. */
function describe(table: ITable): TableDescription | undefined {
  const resource = table.node.defaultChild;
  if (!(resource instanceof CfnTable) && !(resource instanceof CfnGlobalTable)) return undefined;
  type Key = { attributeName: string; keyType: string };
  type Index = { indexName: string; keySchema: Key[] };
  const stack = Stack.of(resource);
  const keySchema = (keys: Key[]) => keys.map(({ attributeName, keyType }) => ({ AttributeName: attributeName, KeyType: keyType as 'HASH' | 'RANGE' }));
  const indexes = (listed: unknown) =>
    ((stack.resolve(listed) ?? []) as Index[]).map(({ indexName, keySchema: keys }) => ({ IndexName: indexName, KeySchema: keySchema(keys) }));
  const attributes = (stack.resolve(resource.attributeDefinitions) ?? []) as { attributeName: string; attributeType: string }[];
  return {
    TableName: displayName(table),
    KeySchema: keySchema(stack.resolve(resource.keySchema) as Key[]),
    AttributeDefinitions: attributes.map(({ attributeName, attributeType }) => ({
      AttributeName: attributeName,
      AttributeType: attributeType as 'S' | 'N' | 'B',
    })),
    GlobalSecondaryIndexes: indexes(resource.globalSecondaryIndexes),
    LocalSecondaryIndexes: indexes(resource.localSecondaryIndexes),
  };
}

/** How a message names the table: its name, or its construct path while the name is a token. */
const displayName = (table: ITable): string => (Token.isUnresolved(table.tableName) ? table.node.path : table.tableName);

function refusedAs<T>(prop: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new Error(`PassportWebhook ${prop}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A resource as cdk-nag's IAM5 names it in a finding (its flattenCfnReference, which the package
 * does not export): a Ref as `<Id>`, a GetAtt as `<Id.Attribute>`, a Join's parts joined.
 */
function nagResource(stack: Stack, resource: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const intrinsic = node as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
    if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(flatten).join(intrinsic['Fn::Join'][0]);
    if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
    if (intrinsic.Ref) return `<${intrinsic.Ref}>`;
    return JSON.stringify(node);
  };
  return flatten(stack.resolve(resource));
}
