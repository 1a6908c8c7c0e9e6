import type { DeletionQueue } from '../deletion/queue.ts';
import type { PassportEventOf, PassportEventType } from '../events/types.ts';
import type { TodoStore } from '../todos/store.ts';

/** What every event handler may use, for one delivery. */
export interface HandlerContext {
  readonly todos: TodoStore;
  /** The FusionAuth application whose registrations own Todos, if one is configured. */
  readonly todoApplicationId: string | undefined;
  /** When this delivery must stop working (epoch ms) to answer in time. */
  readonly deadline: number;
  /** Where work past the deadline goes; without one, unfinished work is a failure. */
  readonly queue: DeletionQueue | undefined;
  /** The delivery, for what the handler hands on. */
  readonly delivery: { readonly type: string; readonly id: string | undefined };
}

export type HandlerOutcome =
  | {
      readonly status: 'handled';
      readonly todosDeleted: number;
      /** The rest of the work was queued, to be finished by the worker. */
      readonly continued?: true;
    }
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
