import type { ErasureResult } from '../erasure/erasure-service.ts';
import type { ConfirmedBy } from '../erasure/ledger.ts';
import type { ErasureSubject } from '../erasure/jobs.ts';
import { requireId } from '../events/fields.ts';
import type { PassportEventOf } from '../events/types.ts';
import type { EventHandler, HandlerContext, HandlerOutcome } from './handler-types.ts';
import { ignore } from './handler-types.ts';

type Event = Readonly<Record<string, unknown>>;
const fields = (event: PassportEventOf<'user.delete'> | object): Event => event as unknown as Event;

/**
 * `user.delete` comes inside FusionAuth's transaction: the user still exists, and the deletion
 * can still roll back after we answer. So it is only recorded, and erased once the commit is
 * known (ERASE_BEFORE_COMMIT erases at once, and takes that risk).
 */
export const requestUserErasure: EventHandler<'user.delete'> = async (event, context) => {
  const subject = await context.erasures.subjectOf(fields(event), 'user', event.type);
  return context.eraseBeforeCommit ? erase(subject, 'before-commit', context) : accept(subject, context);
};

/** `user.delete.complete` comes after the commit: the erasure is confirmed and starts at once. */
export const eraseDeletedUser: EventHandler<'user.delete.complete'> = async (event, context) =>
  erase(await context.erasures.subjectOf(fields(event), 'user', event.type), 'complete-event', context);

/** A user removed from the Todo application loses their Todos, once the removal is committed. */
export const requestRegistrationErasure: EventHandler<'user.registration.delete'> = async (event, context) => {
  if (!isTodoApplication(event, context)) return ignore(ignoredApplication(context));
  const subject = await context.erasures.subjectOf(fields(event), 'registration', event.type);
  return context.eraseBeforeCommit ? erase(subject, 'before-commit', context) : accept(subject, context);
};

export const eraseUnregisteredUser: EventHandler<'user.registration.delete.complete'> = async (event, context) => {
  if (!isTodoApplication(event, context)) return ignore(ignoredApplication(context));
  return erase(await context.erasures.subjectOf(fields(event), 'registration', event.type), 'complete-event', context);
};

async function accept(subject: ErasureSubject, context: HandlerContext): Promise<HandlerOutcome> {
  const outcome = await context.erasures.accept(subject, context.event, context.limits);
  return { status: 'accepted', ...(outcome === 'duplicate' && { duplicate: true as const }) };
}

async function erase(subject: ErasureSubject, by: ConfirmedBy, context: HandlerContext): Promise<HandlerOutcome> {
  const result: ErasureResult = await context.erasures.confirmAndErase(subject, by, context.limits, context.event);
  return {
    status: 'handled',
    todosDeleted: result.todosDeleted,
    ...(result.outcome === 'continued' && { continued: true as const }),
    ...(result.outcome === 'duplicate' && { duplicate: true as const }),
  };
}

function isTodoApplication(
  event: PassportEventOf<'user.registration.delete'> | PassportEventOf<'user.registration.delete.complete'>,
  context: HandlerContext,
): boolean {
  // The application is the event's; the registration names it too, which older payloads may carry alone.
  const applicationId = requireId(event.applicationId ?? event.registration?.applicationId, 'event.applicationId');
  requireId(event.user?.id, 'event.user.id');
  // FusionAuth writes UUIDs in lower case; compare so an upper-case setting still matches.
  return context.todoApplicationId !== undefined && applicationId.toLowerCase() === context.todoApplicationId.toLowerCase();
}

const ignoredApplication = (context: HandlerContext) => (context.todoApplicationId ? 'another application' : 'TODO_APPLICATION_ID is not set');
