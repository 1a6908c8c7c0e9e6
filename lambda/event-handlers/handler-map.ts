import type { Delivery } from '../events/parse.ts';
import type { PassportEvent } from '../events/types.ts';
import { eraseDeletedUser, eraseUnregisteredUser, requestRegistrationErasure, requestUserErasure } from './erasure-handlers.ts';
import { type HandlerContext, type HandlerMap, type HandlerOutcome, ignore } from './handler-types.ts';

/** One entry per event type the webhook acts on; every other type is answered 200 and ignored. */
export const handlers = {
  'user.delete': requestUserErasure,
  'user.delete.complete': eraseDeletedUser,
  'user.registration.delete': requestRegistrationErasure,
  'user.registration.delete.complete': eraseUnregisteredUser,
} as const satisfies HandlerMap;

/** Whether the webhook acts on `type`: own properties only, so "constructor" finds nothing. */
export const hasHandler = (type: string): type is keyof typeof handlers => Object.hasOwn(handlers, type);

/** Runs the handler of the delivery's type. Each handler is idempotent: the erasure ledger dedupes by event id. */
export function dispatch(delivery: Delivery, context: HandlerContext): Promise<HandlerOutcome> {
  if (!hasHandler(delivery.type)) return Promise.resolve(ignore('no handler for this type'));
  // The envelope named a type we handle; the handler checks at run time each field it reads.
  const handler = handlers[delivery.type] as (event: PassportEvent, context: HandlerContext) => Promise<HandlerOutcome>;
  return handler(delivery.event as unknown as PassportEvent, context);
}
