import type { PassportEventOf, PassportEventType } from '../events/types.ts';
import type { TodoStore } from '../todos/store.ts';

/** What every event handler may use. */
export interface HandlerContext {
  readonly todos: TodoStore;
  /** The FusionAuth application whose registrations own Todos, if one is configured. */
  readonly todoApplicationId: string | undefined;
}

export type HandlerOutcome =
  | { readonly status: 'handled'; readonly todosDeleted: number }
  | { readonly status: 'ignored'; readonly reason: string };

/**
 * Handles one event type. It receives that type's event only, so reading a field the type does
 * not carry is a compile error. Throw InvalidEventError for a missing field (400); any other
 * throw is a failure (500), which rolls back a transactional event in Passport.
 */
export type EventHandler<T extends PassportEventType> = (
  event: PassportEventOf<T>,
  context: HandlerContext,
) => Promise<HandlerOutcome>;

export type HandlerMap = { readonly [T in PassportEventType]?: EventHandler<T> };

export const ignore = (reason: string): HandlerOutcome => ({ status: 'ignored', reason });
