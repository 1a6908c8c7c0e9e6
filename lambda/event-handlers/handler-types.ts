import type { EventRef } from '../erasure/ledger.ts';
import type { ErasureService, RunLimits } from '../erasure/erasure-service.ts';
import type { PassportEventOf, PassportEventType } from '../events/types.ts';

/** What every event handler may use, for one delivery. */
export interface HandlerContext {
  readonly erasures: ErasureService;
  /** The FusionAuth application whose registrations own Todos, if one is configured. */
  readonly todoApplicationId: string | undefined;
  /** ERASE_BEFORE_COMMIT: erase on the transactional event itself, as FusionAuth announces it. */
  readonly eraseBeforeCommit: boolean;
  /** When this delivery must stop erasing to answer in time. */
  readonly limits: RunLimits;
  /** The delivery's event, as the ledger records it. */
  readonly event: EventRef;
}

export type HandlerOutcome =
  /** Recorded before FusionAuth's commit; nothing erased yet. */
  | { readonly status: 'accepted'; readonly duplicate?: true }
  | {
      readonly status: 'handled';
      readonly todosDeleted: number;
      /** The rest of the erasure was queued, to be finished by the worker. */
      readonly continued?: true;
      /** The event had been received before: nothing was done again. */
      readonly duplicate?: true;
    }
  | { readonly status: 'ignored'; readonly reason: string };

/**
 * Handles one event type. It receives that type's event only, so reading a field the type does
 * not carry is a compile error. Throw InvalidEventError for a missing field (400); any other
 * throw is a failure (500), which rolls back a transactional event in FusionAuth.
 */
export type EventHandler<T extends PassportEventType> = (
  event: PassportEventOf<T>,
  context: HandlerContext,
) => Promise<HandlerOutcome>;

export type HandlerMap = { readonly [T in PassportEventType]?: EventHandler<T> };

export const ignore = (reason: string): HandlerOutcome => ({ status: 'ignored', reason });
