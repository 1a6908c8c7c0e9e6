import { randomUUID } from 'node:crypto';
import {
  type APIKey,
  ContentStatus,
  type EventConfigurationData,
  EventType,
  type Tenant,
  TransactionType,
  type User,
  type UserRegistration,
  type Webhook,
} from '@fusionauth/typescript-client';

export const EVENT_TYPES: readonly string[] = Object.values(EventType);
export const TRANSACTION_TYPES: readonly string[] = Object.values(TransactionType);

/** A Key Master HMAC key that webhook events can be signed with (SITE:extend/events-and-webhooks/signing.mdx). */
export interface HmacSigningKey {
  readonly algorithm: 'HS256' | 'HS384' | 'HS512';
  /** The secret as Key Master shows it; FusionAuth signs with its UTF-8 bytes. */
  readonly secret: string;
  /** The `kid` FusionAuth writes in the JWT header; the key's id when not given. */
  readonly kid?: string;
}

/** How one delivery attempt ended: the HTTP status answered, or why there was none. */
export type DeliveryOutcome = number | 'timeout' | 'refused' | 'error';

/** One HTTP POST of one event to one webhook. */
export interface DeliveryAttempt {
  readonly webhookId: string;
  readonly url: string;
  readonly eventType: EventType;
  readonly eventId: string;
  /** 1 for the first send; 2 to 4 for FusionAuth's retries of the same event. */
  readonly attempt: number;
  readonly outcome: DeliveryOutcome;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** The API operations that run in a FusionAuth transaction with webhooks. */
export type Operation =
  | 'user.create'
  | 'user.deactivate'
  | 'user.delete'
  | 'user.bulk.deactivate'
  | 'user.bulk.delete'
  | 'user.registration.create'
  | 'user.registration.delete';

/** One transaction and whether FusionAuth committed it. */
export interface TransactionRecord {
  readonly operation: Operation;
  /** The transactional event the operation sends. */
  readonly eventType: EventType;
  readonly userIds: readonly string[];
  readonly committed: boolean;
}

/** Everything the stand-in knows; the maps are the ones tests read and change. */
export interface State {
  readonly webhooks: Map<string, Webhook>;
  readonly tenants: Map<string, Tenant>;
  /** Ids of keys that exist in Key Master (any type); a webhook may name one as its signing key. */
  readonly keyIds: Set<string>;
  readonly signingKeys: Map<string, HmacSigningKey>;
  readonly users: Map<string, User>;
  readonly apiKeys: Map<string, APIKey>;
  readonly attempts: DeliveryAttempt[];
  readonly transactions: TransactionRecord[];
}

/**
 * A tenant as GET /api/tenant/{id} returns it: every event type listed, disabled with transaction
 * type None unless `events` says otherwise, beside settings that a PATCH must leave alone.
 */
export function fusionAuthTenant(
  id: string,
  name: string,
  events: Partial<Record<`${EventType}`, EventConfigurationData>> = {},
): Tenant {
  const all = Object.fromEntries(EVENT_TYPES.map((type) => [type, { enabled: false, transactionType: TransactionType.None }]));
  return {
    id,
    name,
    issuer: 'acme.com',
    emailConfiguration: { host: 'localhost', port: 25, defaultFromEmail: 'no-reply@acme.com' },
    eventConfiguration: { events: { ...all, ...events } as Record<EventType, EventConfigurationData> },
    data: {},
  };
}

/** What a test gives to seed a user: the rest is filled in as FusionAuth stores a new user. */
export interface UserSeed extends Omit<User, 'registrations'> {
  readonly tenantId: string;
  readonly registrations?: readonly UserRegistration[];
}

/** A user as GET /api/user/{id} returns it: an id, active, and each registration with its own id. */
export function fusionAuthUser(seed: UserSeed, now = Date.now()): User {
  return {
    active: true,
    data: {},
    insertInstant: now,
    lastUpdateInstant: now,
    passwordChangeRequired: false,
    usernameStatus: ContentStatus.ACTIVE,
    verified: true,
    ...seed,
    id: seed.id ?? randomUUID(),
    registrations: (seed.registrations ?? []).map((registration) => fusionAuthRegistration(registration, now)),
  };
}

export function fusionAuthRegistration(registration: UserRegistration, now = Date.now()): UserRegistration {
  return {
    insertInstant: now,
    lastUpdateInstant: now,
    roles: [],
    usernameStatus: ContentStatus.ACTIVE,
    verified: true,
    ...registration,
    id: registration.id ?? randomUUID(),
  };
}

/** The user as the API and events show it: FusionAuth never returns password material. */
export function publicUser(user: User): User {
  const { password: _password, salt: _salt, encryptionScheme: _scheme, factor: _factor, ...shown } = structuredClone(user);
  return shown;
}

export function eventConfiguration(state: State, tenantId: string | undefined, type: EventType): EventConfigurationData | undefined {
  const tenant = tenantId === undefined ? undefined : state.tenants.get(tenantId);
  return tenant?.eventConfiguration?.events?.[type];
}

/**
 * The webhooks that receive `type` for a user of `tenantId`: the tenant has the event enabled, the
 * webhook has it enabled, and the webhook is global or lists the tenant
 * (SITE:extend/events-and-webhooks/index.mdx, FAQ; writing-a-webhook.mdx for the 1.37 tenant scoping).
 */
export function webhooksFor(state: State, type: EventType, tenantId: string): Webhook[] {
  if (!eventConfiguration(state, tenantId, type)?.enabled) return [];
  return [...state.webhooks.values()].filter(
    (webhook) => webhook.eventsEnabled?.[type] === true && (webhook.global === true || (webhook.tenantIds ?? []).includes(tenantId)),
  );
}

/**
 * Whether `succeeded` of `total` webhooks meet the level (SITE:apis/_shared/_transaction-types.mdx and
 * get-started/core-concepts/_tenant-webhooks-table.mdx): Any needs one, SimpleMajority 50% or more,
 * SuperMajority two thirds or more, AbsoluteMajority all. With no webhook to send the event to there
 * is no answer to wait for; the docs are silent on that case, and the stand-in commits, as FusionAuth
 * does for the many operations whose events nobody subscribes to.
 */
export function levelMet(type: TransactionType, total: number, succeeded: number): boolean {
  if (total === 0) return true;
  switch (type) {
    case TransactionType.None:
      return true;
    case TransactionType.Any:
      return succeeded >= 1;
    case TransactionType.SimpleMajority:
      return 2 * succeeded >= total;
    case TransactionType.SuperMajority:
      return 3 * succeeded >= 2 * total;
    case TransactionType.AbsoluteMajority:
      return succeeded === total;
  }
}

export const isSuccess = (outcome: DeliveryOutcome): boolean => typeof outcome === 'number' && outcome >= 200 && outcome <= 299;
