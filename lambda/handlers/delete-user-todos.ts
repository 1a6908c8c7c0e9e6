import { DeletionUnfinishedError, TodosRemainError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import type { EventHandler, HandlerContext, HandlerOutcome } from './handler.ts';

/** Every Todo of a deleted user goes. */
export const deleteUserTodos: EventHandler<'user.delete'> = async (event, context) =>
  deleteTodosOf(requireId(event.user?.id, 'event.user.id'), context);

/**
 * Deletes inline until the deadline, then commits the rest to the queue: Passport waits only
 * seconds, and a user with 100,000 Todos takes minutes at one partition's write rate.
 */
export async function deleteTodosOf(
  userId: string,
  { todos, deadline, queue, delivery }: HandlerContext,
): Promise<HandlerOutcome> {
  const report = await todos.deleteAllOf(userId, { deadline });
  if (report.remaining > 0) throw new TodosRemainError(report.remaining, report.deleted);
  if (report.finished) return { status: 'handled', todosDeleted: report.deleted };
  if (!queue) throw new DeletionUnfinishedError(report.deleted);
  await queue.enqueue({ userId, eventType: delivery.type, eventId: delivery.id, continuation: 0 });
  return { status: 'handled', todosDeleted: report.deleted, continued: true };
}
