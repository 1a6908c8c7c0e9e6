import { randomUUID } from 'node:crypto';
import type { BaseEvent, EventInfo, EventType, User, UserRegistration } from '@fusionauth/typescript-client';
import { publicUser } from './model.ts';

/**
 * A user or registration event as FusionAuth sends it: `{"event": {...}}` with the fields of the
 * documented examples (SITE:content/json/events/user-delete.json and its siblings). The TS client's
 * BaseEvent does not declare `linkedObjectId` (1.53+), hence the extension.
 */
export interface FusionAuthEvent extends BaseEvent {
  readonly applicationId?: string;
  readonly createInstant: number;
  readonly id: string;
  readonly info: EventInfo;
  readonly linkedObjectId?: string;
  readonly registration?: UserRegistration;
  readonly tenantId: string;
  readonly type: EventType;
  readonly user: User;
}

/** Events whose pages document `event.linkedObjectId`, the id of the user concerned. */
const LINKED: ReadonlySet<string> = new Set(['user.create', 'user.deactivate', 'user.delete', 'user.delete.complete']);

/**
 * A new event: a fresh id and createInstant, the user's tenant, and the keys in the alphabetical order
 * of FusionAuth's JSON, so the body is what a receiver of FusionAuth sees.
 */
export function userEvent(type: EventType, user: User, info: EventInfo): FusionAuthEvent {
  return {
    createInstant: Date.now(),
    id: randomUUID(),
    info,
    ...(LINKED.has(type) && { linkedObjectId: user.id }),
    tenantId: user.tenantId ?? '',
    type,
    user: publicUser(user),
  };
}

/** A registration event: `applicationId` and `registration` beside the user that owns it. */
export function registrationEvent(type: EventType, user: User, registration: UserRegistration, info: EventInfo): FusionAuthEvent {
  return {
    applicationId: registration.applicationId,
    createInstant: Date.now(),
    id: randomUUID(),
    info,
    registration: structuredClone(registration),
    tenantId: user.tenantId ?? '',
    type,
    user: publicUser(user),
  };
}

/** The exact bytes sent: the same for every webhook and every retry of one event. */
export const eventBody = (event: FusionAuthEvent): string => JSON.stringify({ event });
