import { ConfigurationError, InvalidEventError } from '../errors.ts';

/** The event fields a key template may name. */
export type TemplateField = 'userId' | 'tenantId' | 'applicationId' | 'user.username' | 'user.email' | `user.data.${string}`;

/** The values of an erasure's template fields, taken from its event once. */
export type FieldValues = Readonly<Partial<Record<TemplateField, string>>>;

type Part = { readonly literal: string } | { readonly field: TemplateField };

/** A key value with `{field}` placeholders, e.g. `USER#{userId}`, parsed and checked once at start. */
export interface KeyTemplate {
  readonly source: string;
  readonly parts: readonly Part[];
  readonly fields: readonly TemplateField[];
  /** Names the user, not only their tenant or application: only such a key can be one user's. */
  readonly userSpecific: boolean;
  /** The last part is a field: as a prefix, `user#{userId}` also matches `user#{userId}d`. */
  readonly endsWithField: boolean;
  /**
   * The template's punctuation. A value holding one of these could pass for a delimiter
   * (`a#b` in `{tenantId}#{userId}`) and so address another user's key: such values are refused.
   */
  readonly delimiters: ReadonlySet<string>;
}

const FIXED_FIELDS: readonly string[] = ['userId', 'tenantId', 'applicationId', 'user.username', 'user.email'];
/** Fields that identify the user; `tenantId` and `applicationId` are shared by many users. */
const isUserField = (field: TemplateField): boolean => field !== 'tenantId' && field !== 'applicationId';
const DATA_FIELD = /^user\.data\.[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** DynamoDB's limits on a key value, in bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** Parses `source`; `where` names the setting in the message of a template that cannot work. */
export function parseKeyTemplate(source: string, where: string): KeyTemplate {
  if (typeof source !== 'string' || source === '') throw new ConfigurationError(`${where} must be a non-empty string.`);
  const parts: Part[] = [];
  let rest = source;
  while (rest !== '') {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (close !== -1 && (open === -1 || close < open)) throw new ConfigurationError(`${where} "${source}" has a "}" without its "{".`);
    if (open === -1) {
      parts.push({ literal: rest });
      break;
    }
    if (open > 0) parts.push({ literal: rest.slice(0, open) });
    if (close === -1) throw new ConfigurationError(`${where} "${source}" has a "{" without its "}".`);
    const name = rest.slice(open + 1, close);
    if (!FIXED_FIELDS.includes(name) && !DATA_FIELD.test(name)) {
      throw new ConfigurationError(
        `${where} "${source}" names {${name}}; a template takes {userId}, {tenantId}, {applicationId}, {user.username}, {user.email} or {user.data.<field>}.`,
      );
    }
    const previous = parts.at(-1);
    if (previous && 'field' in previous) {
      throw new ConfigurationError(`${where} "${source}" puts {${previous.field}} and {${name}} side by side: put a delimiter between them.`);
    }
    parts.push({ field: name as TemplateField });
    rest = rest.slice(close + 1);
  }
  const fields = parts.flatMap((part) => ('field' in part ? [part.field] : []));
  const literalText = parts.map((part) => ('literal' in part ? part.literal : '')).join('');
  return {
    source,
    parts,
    fields,
    userSpecific: fields.some(isUserField),
    endsWithField: 'field' in parts.at(-1)!,
    delimiters: new Set([...literalText].filter((character) => !/[\p{L}\p{N}]/u.test(character))),
  };
}

/**
 * The key value for one erasure. A value that holds one of the template's delimiters is refused
 * (400): it could reach a key of another user. `lowerCase` folds the whole key, as key libraries
 * such as ElectroDB store it.
 */
export function renderKeyTemplate(template: KeyTemplate, values: FieldValues, lowerCase: boolean, maxBytes: number): string {
  let key = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      key += part.literal;
      continue;
    }
    const value = values[part.field];
    // The erasure's fields were checked against its targets when it was accepted.
    if (value === undefined) throw new Error(`the value of {${part.field}} was not taken from the event`);
    const delimiter = [...template.delimiters].find((character) => value.includes(character));
    if (delimiter !== undefined) {
      throw new InvalidEventError(
        `[invalid]${eventPath(part.field)}`,
        `"${eventPath(part.field)}" holds "${delimiter}", which the key template "${template.source}" uses as a delimiter.`,
      );
    }
    key += value;
  }
  if (lowerCase) key = key.toLowerCase();
  if (Buffer.byteLength(key) > maxBytes) {
    throw new InvalidEventError('[invalid]key', `The key "${template.source}" renders to more than ${maxBytes} bytes for this event.`);
  }
  return key;
}

/** Where a field comes from in a FusionAuth event. */
export const eventPath = (field: TemplateField): string =>
  field === 'userId' ? 'event.user.id' : field === 'tenantId' ? 'event.tenantId' : field === 'applicationId' ? 'event.applicationId' : `event.${field}`;
