import { InvalidEventError } from '../errors.ts';

const MAX_FIELD_LENGTH = 255;
// Control characters, and ids whose UTF-8 form would differ from what was sent (lone surrogates
// become U+FFFD on the wire), could address another user's partition.
const CONTROL = /\p{Cc}/u;

/**
 * The id at `field`, checked at run time: the published event types say what FusionAuth sends,
 * not what reached the URL. FusionAuth's ids are UUIDs; any other well-formed id is accepted so
 * a Todo table keyed otherwise still works.
 */
export function requireId(value: unknown, field: string): string {
  if (value === undefined || value === null) throw new InvalidEventError(`[missing]${field}`, `The event has no "${field}".`);
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_FIELD_LENGTH ||
    value.trim() !== value ||
    CONTROL.test(value) ||
    !value.isWellFormed()
  ) {
    throw new InvalidEventError(
      `[invalid]${field}`,
      `"${field}" must be a string of 1 to ${MAX_FIELD_LENGTH} characters, without control characters or surrounding spaces.`,
    );
  }
  return value;
}
