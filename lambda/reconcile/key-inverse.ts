import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { FieldValues, KeyTemplate, TemplateField } from '../targets/key-template.ts';
import type { ResolvedTarget } from '../targets/table-schema.ts';

/**
 * The inverse of a key template: which user (and tenant) a stored key belongs to. Only {userId}
 * and {tenantId} can be read back as what FusionAuth knows a deleted user by; a key made of an
 * e-mail address, a username or the user's data names someone FusionAuth can no longer be asked
 * about by that value, so such a target is skipped with the reason.
 */

/** The fields a reconcile can recover from a key and erase with. */
const READABLE_FIELDS: ReadonlySet<TemplateField> = new Set(['userId', 'tenantId']);

export interface KeyOwner {
  /** As stored (lower case for a lowerCase target): the erasure renders its keys from it. */
  readonly userId: string;
  readonly tenantId: string | undefined;
  /** Every field the target's keys hold, for the erasure's plan. */
  readonly values: FieldValues;
}

/** How one target's keys are read. */
export interface TargetKeyReader {
  readonly target: ResolvedTarget;
  /** The attributes a Scan projects: the partition key, and the sort key when the user is in a prefix. */
  readonly attributes: readonly string[];
  /** Whether the keys carry a tenant: FusionAuth is then asked in that tenant. */
  readonly tenantScoped: boolean;
  /** The owner of an item, or undefined when its key is not one the target's templates render (another kind of item). */
  read(item: Readonly<Record<string, AttributeValue>>): KeyOwner | undefined;
}

export type TargetReading = { readonly readable: true; readonly reader: TargetKeyReader } | { readonly readable: false; readonly reason: string };

/** Whether a reconcile can find the owners of `target`'s items, and how; or why not. */
export function targetKeyReader(target: ResolvedTarget): TargetReading {
  if (!target.on.has('user')) {
    return { readable: false, reason: 'it is erased only when a registration is deleted, and reconcile looks for deleted users' };
  }
  const templates = [target.partitionKey, ...target.sortKeyPrefixes];
  const unreadable = [...new Set(templates.flatMap((template) => template.fields))].filter((field) => !READABLE_FIELDS.has(field));
  if (unreadable.length > 0) {
    return {
      readable: false,
      reason:
        `its keys hold ${unreadable.map((field) => `{${field}}`).join(', ')}, which cannot be read back as a FusionAuth user id ` +
        '(FusionAuth cannot be asked about a deleted user by it), so reconcile cannot tell whose items they are',
    };
  }
  const prefixes = target.sortKeyPrefixes;
  const sortName = target.sort?.name;
  const attributes = [target.partition.name, ...(prefixes.length > 0 && sortName ? [sortName] : [])];
  const tenantScoped = templates.some((template) => template.fields.includes('tenantId'));
  return {
    readable: true,
    reader: {
      target,
      attributes,
      tenantScoped,
      read(item) {
        const partition = keyText(item[target.partition.name]);
        if (partition === undefined) return undefined;
        const fromPartition = readTemplate(target.partitionKey, partition, target.lowerCase, false);
        if (!fromPartition) return undefined;
        let values = fromPartition;
        if (prefixes.length > 0) {
          const sort = keyText(sortName ? item[sortName] : undefined);
          if (sort === undefined) return undefined;
          // The first prefix the sort key has, with the same values as the partition where both name one.
          const fromSort = prefixes.map((prefix) => readTemplate(prefix, sort, target.lowerCase, true)).find((read) => read && agree(read, fromPartition));
          if (!fromSort) return undefined;
          values = { ...fromPartition, ...fromSort };
        }
        if (values.userId === undefined) return undefined;
        return { userId: values.userId, tenantId: values.tenantId, values };
      },
    },
  };
}

/**
 * The field values `text` holds, read against `template`: each literal must be there as written
 * (folded for a lowerCase target), and each field takes what lies up to the next literal. With
 * `asPrefix`, `text` may go on past the template (a sort key after its prefix); without it, the
 * template must take all of it. A value holding one of the template's delimiters, or empty, is
 * one the erasure would never render, so it is no match.
 */
export function readTemplate(template: KeyTemplate, text: string, lowerCase: boolean, asPrefix: boolean): Partial<Record<TemplateField, string>> | undefined {
  const values: Partial<Record<TemplateField, string>> = {};
  let position = 0;
  const { parts } = template;
  for (let n = 0; n < parts.length; n += 1) {
    const part = parts[n]!;
    if ('literal' in part) {
      const literal = lowerCase ? part.literal.toLowerCase() : part.literal;
      if (!text.startsWith(literal, position)) return undefined;
      position += literal.length;
      continue;
    }
    const next = parts[n + 1];
    let end: number;
    if (next && 'literal' in next) {
      end = text.indexOf(lowerCase ? next.literal.toLowerCase() : next.literal, position);
      if (end === -1) return undefined;
    } else {
      // The last part: a prefix never ends with a field (checked at start), a whole key may.
      if (asPrefix) return undefined;
      end = text.length;
    }
    const value = text.slice(position, end);
    if (value === '' || [...template.delimiters].some((delimiter) => value.includes(delimiter))) return undefined;
    if (values[part.field] !== undefined && values[part.field] !== value) return undefined;
    values[part.field] = value;
    position = end;
  }
  if (!asPrefix && position !== text.length) return undefined;
  return values;
}

const agree = (a: Partial<Record<TemplateField, string>>, b: Partial<Record<TemplateField, string>>): boolean =>
  Object.entries(a).every(([field, value]) => b[field as TemplateField] === undefined || b[field as TemplateField] === value);

/** A key value as text: a string, a number as DynamoDB writes it, or binary as UTF-8 (how the erasure renders it). */
function keyText(value: AttributeValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.B !== undefined) return Buffer.from(value.B).toString('utf8');
  return undefined;
}
