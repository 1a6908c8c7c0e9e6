import type { Context } from 'aws-lambda';
import type { DedupedOutcome, Deduplicator } from '../dedupe/deduplicator.ts';
import type { Delivery } from '../events/parse.ts';
import type { PassportEvent } from '../events/types.ts';
import { deleteTodosOnUnregister } from './delete-todos-on-unregister.ts';
import { deleteUserTodos } from './delete-user-todos.ts';
import { type HandlerContext, type HandlerMap, type HandlerOutcome, ignore } from './handler.ts';

/** One entry per event type the webhook acts on; every other type is answered 200 and ignored. */
export const handlers = {
  'user.delete': deleteUserTodos,
  'user.registration.delete': deleteTodosOnUnregister,
} as const satisfies HandlerMap;

/**
 * Runs the handler of the delivery's type, once per event id when a deduplicator is given.
 * Types without a handler are ignored without touching the deduplicator: most deliveries
 * (logins, refreshes) are of those.
 */
export function dispatch(
  delivery: Delivery,
  context: HandlerContext,
  dedupe?: Deduplicator,
  lambdaContext?: Context,
): Promise<DedupedOutcome> {
  // Own properties only: a type such as "constructor" must not find Object.prototype's.
  if (!Object.hasOwn(handlers, delivery.type)) return Promise.resolve(ignore('no handler for this type'));
  // The envelope named a type we handle; the handler checks at run time each field it reads.
  const handler = handlers[delivery.type as keyof typeof handlers] as (
    event: PassportEvent,
    context: HandlerContext,
  ) => Promise<HandlerOutcome>;
  const work = () => handler(delivery.event as unknown as PassportEvent, context);
  // The type is part of the key: an id is unique per event, and this keeps it so across types.
  return dedupe && delivery.id ? dedupe.once(`${delivery.type}#${delivery.id}`, work, lambdaContext) : work();
}
