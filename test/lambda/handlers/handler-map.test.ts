import { describe, expect, expectTypeOf, it } from 'vitest';
import type { PassportEvent, PassportEventOf, PassportEventType } from '../../../lambda/events/types.ts';
import type { EventHandler, HandlerContext, HandlerMap } from '../../../lambda/handlers/handler.ts';
import { dispatch, handlers } from '../../../lambda/handlers/index.ts';
import type { DeletionReport, TodoStore } from '../../../lambda/todos/store.ts';

// Type-level checks: `npm test` runs tsc over this file first, so an `@ts-expect-error` that no
// longer finds its error fails the run.
describe('the event types', () => {
  it('discriminate on type', () => {
    const describeEvent = (event: PassportEvent): string => {
      switch (event.type) {
        case 'user.delete':
          return event.user?.id ?? '';
        case 'user.registration.delete':
          return event.applicationId ?? '';
        case 'user.bulk.create':
          return String(event.users?.length);
        default:
          return event.type;
      }
    };
    expect(describeEvent({ type: 'user.bulk.create', users: [{}, {}] })).toBe('2');
    expectTypeOf<PassportEventOf<'user.delete'>['type']>().toEqualTypeOf<'user.delete'>();
  });

  it('cover the documented families', () => {
    expectTypeOf<'user.login.success'>().toExtend<PassportEventType>();
    expectTypeOf<'user.password.breach'>().toExtend<PassportEventType>();
    expectTypeOf<'user.two-factor.method.add'>().toExtend<PassportEventType>();
    expectTypeOf<'jwt.refresh-token.revoke'>().toExtend<PassportEventType>();
    expectTypeOf<'group.member.add.complete'>().toExtend<PassportEventType>();
    expectTypeOf<'entity.delete.complete'>().toExtend<PassportEventType>();
    expectTypeOf<'audit-log.create'>().toExtend<PassportEventType>();
    expectTypeOf<'event-log.create'>().toExtend<PassportEventType>();
    expectTypeOf<'kickstart.success'>().toExtend<PassportEventType>();
    expectTypeOf<'test'>().toExtend<PassportEventType>();
    expectTypeOf<'user.delete.typo'>().not.toExtend<PassportEventType>();
  });
});

describe('the handler map', () => {
  const noop = async () => ({ status: 'ignored', reason: '' }) as const;

  it('gives each handler its own event type, checked by the compiler', () => {
    const map = {
      'user.delete': async (event) => ({ status: 'handled', todosDeleted: event.user?.id ? 1 : 0 }),
      'user.registration.delete': async (event) => ({ status: 'ignored', reason: event.applicationId ?? '' }),
    } satisfies HandlerMap;
    expect(Object.keys(map)).toHaveLength(2);

    const readsAnotherTypesField = {
      'user.delete': async (event) =>
        // @ts-expect-error user.delete carries no applicationId: reading it does not compile.
        ({ status: 'ignored', reason: String(event.applicationId) }),
    } satisfies HandlerMap;
    expect(readsAnotherTypesField).toBeDefined();

    // @ts-expect-error a handler must be registered under a type FusionAuth documents.
    const typo = { 'user.deleted': noop } satisfies HandlerMap;
    expect(typo).toBeDefined();

    const readsMissingField: EventHandler<'user.login.success'> = async (event) =>
      // @ts-expect-error user.login.success has no `users` (that is user.bulk.create).
      ({ status: 'ignored', reason: String(event.users) });
    expect(readsMissingField).toBeDefined();
  });

  it('registers the handlers the webhook ships', () => {
    expect(Object.keys(handlers).sort()).toEqual(['user.delete', 'user.registration.delete']);
  });

  it('dispatches by own keys only', async () => {
    const calls: string[] = [];
    const todos: TodoStore = {
      deleteAllOf: async (userId: string): Promise<DeletionReport> => {
        calls.push(userId);
        return { deleted: 2, remaining: 0, finished: true };
      },
    };
    const context: HandlerContext = {
      todos,
      todoApplicationId: undefined,
      deadline: Number.POSITIVE_INFINITY,
      queue: undefined,
      delivery: { type: 'user.delete', id: undefined },
    };
    const delivery = (type: string, event: Record<string, unknown> = {}) => ({ type, id: undefined, event: { type, ...event } });

    await expect(dispatch(delivery('user.delete', { user: { id: 'u1' } }), context)).resolves.toEqual({
      status: 'handled',
      todosDeleted: 2,
    });
    for (const type of ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'user.unknown']) {
      await expect(dispatch(delivery(type, { user: { id: 'u2' } }), context)).resolves.toMatchObject({ status: 'ignored' });
    }
    expect(calls).toEqual(['u1']);
  });
});
