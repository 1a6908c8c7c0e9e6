import { type EventType, TransactionType } from '@fusionauth/typescript-client';
import { handlers } from '../../lambda/event-handlers/handler-map.ts';

export type EventTypeName = `${EventType}`;

/**
 * How FusionAuth treats an event type, as its event reference states for each one
 * (fusionauth.io/docs/extend/events-and-webhooks/events, "Event Scope" and "Transaction Compatibility"):
 * - transactional: the operation is committed only once the webhooks answered as the tenant's
 *   transaction type for the event demands;
 * - non-transactional: the operation succeeds whatever the webhooks answer, so None is the only
 *   transaction type that means anything;
 * - system: instance scoped (audit-log.create, event-log.create, kickstart.success): tenants have
 *   no setting for it, the webhook's own toggle alone decides;
 * - test: the type of the test sends from Settings → Webhooks; FusionAuth never emits it itself.
 */
export type EventKind = 'transactional' | 'non-transactional' | 'system' | 'test';

const T = 'transactional';
const N = 'non-transactional';

// Keyed by every value of the client's EventType: a type the client adds (or drops) on upgrade
// fails compilation here until someone reads its page in the event reference. `user.action`'s
// page sets no flag, which the reference renders as transactional; `user.identity.update` has no
// page yet, so it gets the kind that can do no harm.
export const EVENT_KINDS: Readonly<Record<EventTypeName, EventKind>> = {
  'audit-log.create': 'system',
  'event-log.create': 'system',
  'kickstart.success': 'system',
  test: 'test',

  'jwt.public-key.update': T,
  'jwt.refresh': T,
  'jwt.refresh-token.revoke': T,

  'entity.create': T,
  'entity.create.complete': N,
  'entity.delete': T,
  'entity.delete.complete': N,
  'entity.update': T,
  'entity.update.complete': N,

  'group.create': T,
  'group.create.complete': N,
  'group.delete': T,
  'group.delete.complete': N,
  'group.member.add': T,
  'group.member.add.complete': N,
  'group.member.remove': T,
  'group.member.remove.complete': N,
  'group.member.update': T,
  'group.member.update.complete': N,
  'group.update': T,
  'group.update.complete': N,

  'user.action': T,
  'user.bulk.create': T,
  'user.create': T,
  'user.create.complete': N,
  'user.deactivate': T,
  'user.delete': T,
  'user.delete.complete': N,
  'user.email.update': N,
  'user.email.verified': T,
  'user.identity-provider.link': N,
  'user.identity-provider.unlink': N,
  'user.identity.update': N,
  'user.identity.verified': T,
  'user.loginId.duplicate.create': N,
  'user.loginId.duplicate.update': N,
  'user.login.failed': T,
  'user.login.new-device': T,
  'user.login.success': T,
  'user.login.suspicious': T,
  'user.password.breach': T,
  'user.password.reset.send': N,
  'user.password.reset.start': N,
  'user.password.reset.success': N,
  'user.password.update': N,
  'user.reactivate': T,
  'user.registration.create': T,
  'user.registration.create.complete': N,
  'user.registration.delete': T,
  'user.registration.delete.complete': N,
  'user.registration.update': T,
  'user.registration.update.complete': N,
  'user.registration.verified': T,
  'user.two-factor.challenge': N,
  'user.two-factor.failed-attempt': N,
  'user.two-factor.method.add': N,
  'user.two-factor.method.remove': N,
  'user.two-factor.success': N,
  'user.update': T,
  'user.update.complete': N,
};

/** The types the webhook acts on: the default, from the same map that dispatches them. */
export const HANDLED_EVENTS: readonly EventTypeName[] = Object.keys(handlers) as EventTypeName[];

/**
 * Every webhook consuming a transactional event in a tenant must answer 2xx before FusionAuth
 * commits it. Ours answers 500 when it cannot record the erasure request, precisely so that the
 * user is not deleted with nobody to erase their Todos; AbsoluteMajority is the only level at
 * which that answer stops the deletion whatever other webhooks consume the same event (Any or a
 * majority would let the others outvote it). With this webhook alone, every level but None is
 * the same. The `.complete` events come after the commit and are never transactional.
 */
export const DEFAULT_TRANSACTION_TYPE = TransactionType.AbsoluteMajority;

export const isEventType = (name: string): name is EventTypeName => Object.hasOwn(EVENT_KINDS, name);

/** Whether a tenant has a setting for the type: system events are configured on the webhook alone. */
export const isTenantScoped = (event: EventTypeName): boolean => EVENT_KINDS[event] !== 'system';

/** The transaction type a tenant should hold for the event: None unless FusionAuth can wait for it. */
export const transactionTypeFor = (event: EventTypeName, chosen: TransactionType): TransactionType =>
  EVENT_KINDS[event] === 'transactional' ? chosen : TransactionType.None;

export const isHandled = (event: EventTypeName): boolean => HANDLED_EVENTS.includes(event);
