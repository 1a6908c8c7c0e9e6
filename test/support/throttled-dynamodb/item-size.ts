/**
 * Item sizes and capacity units as the Amazon DynamoDB Developer Guide defines them
 * ("DynamoDB item sizes and formats", CapacityUnitCalculations.html; "DynamoDB read and write
 * operations", read-write-operations.html). Inputs come straight off the wire, so every
 * function accepts anything and sizes what it does not recognise as 0 rather than throwing.
 */

/** DynamoDB's units are binary: 1 KB = 1,024 bytes. */
export const KB = 1024;
/** A write unit covers up to 1 KB written (or deleted). */
export const WRITE_UNIT_BYTES = KB;
/** A read unit covers up to 4 KB read strongly consistently, or 8 KB eventually consistently. */
export const READ_UNIT_BYTES = 4 * KB;

/** A DynamoDB JSON item as it travels: attribute name to typed value (`{ S: 'x' }`, …). */
export type WireItem = Record<string, unknown>;

const utf8Bytes = (text: unknown): number => (typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : 0);

/** The sum of the UTF-8 lengths of the attribute names and the sizes of their values. */
export function itemSize(item: unknown): number {
  if (!isObject(item)) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Bytes(name) + valueSize(value);
  return size;
}

/**
 * One typed value. The guide gives String, Number, Binary, Boolean, Null, List and Map; it says
 * nothing of sets, which are sized here as the sum of their members (no overhead).
 */
export function valueSize(value: unknown): number {
  if (!isObject(value)) return 0;
  const [type] = Object.keys(value);
  const body = type === undefined ? undefined : value[type];
  switch (type) {
    case 'S':
      return utf8Bytes(body);
    case 'N':
      return numberSize(body);
    case 'B':
      return binarySize(body);
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return sumOf(body, utf8Bytes);
    case 'NS':
      return sumOf(body, numberSize);
    case 'BS':
      return sumOf(body, binarySize);
    case 'L':
      // 3 bytes for the list, 1 more for each element.
      return 3 + sumOf(body, (element) => 1 + valueSize(element));
    case 'M':
      return 3 + (isObject(body) ? sumEntries(body, (name, element) => 1 + utf8Bytes(name) + valueSize(element)) : 0);
    default:
      return 0;
  }
}

/**
 * "1 byte per two significant digits, plus 1 byte", leading and trailing zeroes trimmed. The
 * guide calls this approximate; it is what this front charges.
 */
function numberSize(text: unknown): number {
  if (typeof text !== 'string') return 0;
  const mantissa = text.trim().replace(/^[+-]/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** A binary value travels as base64; its raw length is what counts. */
const binarySize = (text: unknown): number => (typeof text === 'string' ? Buffer.from(text, 'base64').length : 0);

/** Write units for writing (or deleting) an item of `bytes`: 1 per KB, rounded up, 1 at least. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));

/**
 * Read units for reading `bytes` in one go: rounded up to the next 4 KB first (1 block at least,
 * as a read of nothing still costs the minimum), then halved for an eventually consistent read.
 * The halving comes after the rounding, so 10 KB eventually consistent is 3 / 2 = 1.5 units, the
 * fractional figure DynamoDB itself reports in ConsumedCapacity.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  const blocks = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? blocks : blocks / 2;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const sumOf = (list: unknown, size: (element: unknown) => number): number =>
  Array.isArray(list) ? list.reduce((sum: number, element: unknown) => sum + size(element), 0) : 0;

const sumEntries = (map: Record<string, unknown>, size: (name: string, element: unknown) => number): number =>
  Object.entries(map).reduce((sum, [name, element]) => sum + size(name, element), 0);
