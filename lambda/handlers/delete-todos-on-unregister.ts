import { requireId } from '../events/fields.ts';
import { deleteTodosOf } from './delete-user-todos.ts';
import { type EventHandler, ignore } from './handler.ts';

/** A user removed from the Todo application loses their Todos; other applications are not ours. */
export const deleteTodosOnUnregister: EventHandler<'user.registration.delete'> = async (event, context) => {
  const applicationId = requireId(event.applicationId, 'event.applicationId');
  const userId = requireId(event.user?.id, 'event.user.id');
  if (!context.todoApplicationId) return ignore('TODO_APPLICATION_ID is not set');
  // FusionAuth writes UUIDs in lower case; compare so an upper-case setting still matches.
  if (applicationId.toLowerCase() !== context.todoApplicationId.toLowerCase()) return ignore('another application');
  return deleteTodosOf(userId, context);
};
