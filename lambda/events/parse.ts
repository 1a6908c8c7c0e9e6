import { InvalidEventError } from '../errors.ts';

/** A body that carries a Passport event envelope: the type is known to be a string, nothing more. */
export interface Delivery {
  readonly type: string;
  /** FusionAuth's unique id of the event, when it sent a usable one. */
  readonly id: string | undefined;
  readonly event: Readonly<Record<string, unknown>>;
}

const MAX_TYPE_LENGTH = 128;
const MAX_EVENT_ID_LENGTH = 128;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses `{"event": {"type": "...", ...}}`; what each type must carry beyond that is its handler's to check. */
export function parseDelivery(body: Uint8Array): Delivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    throw new InvalidEventError('[invalidJSON]', 'The body is not valid UTF-8 JSON.');
  }
  if (!isObject(parsed)) throw new InvalidEventError('[invalid]body', 'The body must be a JSON object: {"event": {...}}.');
  const event = parsed.event;
  if (event === undefined || event === null) throw new InvalidEventError('[missing]event', 'The body has no "event" object.');
  if (!isObject(event)) throw new InvalidEventError('[invalid]event', '"event" must be a JSON object.');
  const type = event.type;
  if (type === undefined || type === null) throw new InvalidEventError('[missing]event.type', 'The event has no "type".');
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new InvalidEventError('[invalid]event.type', `"event.type" must be a string of 1 to ${MAX_TYPE_LENGTH} characters.`);
  }
  const id = typeof event.id === 'string' && event.id.length > 0 && event.id.length <= MAX_EVENT_ID_LENGTH ? event.id : undefined;
  return { type, id, event };
}
