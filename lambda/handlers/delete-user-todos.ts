import { TodosRemainError } from '../errors.ts';
import { requireId } from '../events/fields.ts';
import type { EventHandler, HandlerContext, HandlerOutcome } from './handler.ts';

/** Every Todo of a deleted user goes. */
export const deleteUserTodos: EventHandler<'user.delete'> = async (event, context) =>
  deleteTodosOf(requireId(event.user?.id, 'event.user.id'), context);

export async function deleteTodosOf(userId: string, { todos }: HandlerContext): Promise<HandlerOutcome> {
  const report = await todos.deleteAllOf(userId);
  if (report.remaining > 0) throw new TodosRemainError(report.remaining, report.deleted);
  return { status: 'handled', todosDeleted: report.deleted };
}
