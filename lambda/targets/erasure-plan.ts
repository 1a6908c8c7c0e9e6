import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidEventError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import {
  eventPath,
  type FieldValues,
  type KeyTemplate,
  MAX_PARTITION_KEY_BYTES,
  MAX_SORT_KEY_BYTES,
  renderKeyTemplate,
  type TemplateField,
} from './key-template.ts';
import type { KeyType, ResolvedTarget } from './table-schema.ts';
import type { DeletionTarget, ErasureScope } from './target-spec.ts';

/** One target's Queries for one user: the partition, and the sort-key prefixes if any. */
export interface TargetQuery {
  readonly target: ResolvedTarget;
  readonly partitionValue: AttributeValue;
  /** Empty: the whole partition. */
  readonly prefixes: readonly AttributeValue[];
}

/** The targets an erasure of `scope` runs, in their listed order. */
export const targetsFor = <T extends DeletionTarget>(targets: readonly T[], scope: ErasureScope): T[] => targets.filter((target) => target.on.has(scope));

/** Every field the targets of `scope` read: what an erasure must take from its event and carry along. */
export function fieldsFor(targets: readonly DeletionTarget[], scope: ErasureScope): TemplateField[] {
  const fields = new Set<TemplateField>(['userId']);
  for (const target of targetsFor(targets, scope)) {
    for (const template of [target.partitionKey, ...target.sortKeyPrefixes]) template.fields.forEach((field) => fields.add(field));
  }
  return [...fields];
}

/**
 * The values of `fields` in a FusionAuth event. A field the event lacks is a 400 that names it:
 * an empty string in a key could be another user's key.
 */
export function fieldValuesOf(event: Readonly<Record<string, unknown>>, fields: readonly TemplateField[], type: string): FieldValues {
  const user = asRecord(event.user);
  const values: Partial<Record<TemplateField, string>> = {};
  for (const field of fields) {
    const value =
      field === 'userId'
        ? user?.id
        : field === 'tenantId'
          ? (event.tenantId ?? user?.tenantId)
          : field === 'applicationId'
            ? (event.applicationId ?? asRecord(event.registration)?.applicationId)
            : field.split('.').slice(1).reduce<unknown>((object, name) => asRecord(object)?.[name], user);
    if (value === undefined || value === null) {
      throw new InvalidEventError(`[missing]${eventPath(field)}`, `The ${type} event has no "${eventPath(field)}", which a deletion target's key needs.`);
    }
    // An app's own id in the user's data may be a number; FusionAuth's ids are always strings.
    const text = field.startsWith('user.data.') && typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    values[field] = requireId(text, eventPath(field));
  }
  return values;
}

/** The keys each target queries for these values; a value that does not fit its key is a 400. */
export function planErasure(targets: readonly ResolvedTarget[], values: FieldValues): TargetQuery[] {
  return targets.map((target) => ({
    target,
    partitionValue: keyValue(target.partitionKey, target, target.partition.type, values, MAX_PARTITION_KEY_BYTES),
    prefixes: target.sortKeyPrefixes.map((prefix) => keyValue(prefix, target, target.sort!.type, values, MAX_SORT_KEY_BYTES)),
  }));
}

const NUMBER = /^-?(0|[1-9]\d{0,37})(\.\d{1,38})?$/;

function keyValue(template: KeyTemplate, target: ResolvedTarget, type: KeyType, values: FieldValues, maxBytes: number): AttributeValue {
  const text = renderKeyTemplate(template, values, target.lowerCase, maxBytes);
  if (type === 'S') return { S: text };
  if (type === 'B') return { B: Buffer.from(text, 'utf8') };
  if (!NUMBER.test(text)) {
    const field = template.fields[0]!;
    throw new InvalidEventError(`[invalid]${eventPath(field)}`, `"${eventPath(field)}" must be a number: it is the numeric key of ${target.name}.`);
  }
  return { N: text };
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
