import type {
  EventConfigurationData,
  Tenant,
  TenantRequest,
  TransactionType,
  Webhook,
  WebhookRequest,
} from '@fusionauth/typescript-client';
import { type EventTypeName, isTenantScoped, transactionTypeFor } from './events.ts';
import type { BasicAuth, TenantScope } from './options.ts';

/** The webhook as this project wants it in FusionAuth. */
export interface DesiredWebhook {
  readonly url: string;
  /** Undefined when the webhook checks no API key. */
  readonly apiKey: { readonly header: string; readonly value: string } | undefined;
  readonly connectTimeout: number;
  readonly readTimeout: number;
  readonly events: readonly EventTypeName[];
  readonly tenants: TenantScope;
  readonly signingKeyId: string | undefined;
  readonly basicAuth: BasicAuth | undefined;
}

/** What FusionAuth holds now, as read before any write. */
export interface FusionAuthState {
  readonly webhooks: readonly Webhook[];
  /** The tenants whose event settings are ours to set: the chosen ones, or all for a global webhook. */
  readonly tenants: readonly Tenant[];
}

export type WriteRequest =
  | { readonly kind: 'createWebhook'; readonly webhookId: string; readonly body: WebhookRequest }
  | { readonly kind: 'updateWebhook'; readonly webhookId: string; readonly body: WebhookRequest }
  | { readonly kind: 'patchTenant'; readonly tenantId: string; readonly body: TenantRequest };

export interface Step {
  readonly subject: string;
  readonly outcome: 'create' | 'update' | 'unchanged';
  /** What differs, in FusionAuth's field names or as `event: setting`. */
  readonly changes: readonly string[];
  readonly request: WriteRequest | undefined;
}

/** Written on creation only, so a description given in the UI later stays. */
export const WEBHOOK_DESCRIPTION = 'passport-webhook: deletes Todos of deleted users (npm run register)';

/**
 * The writes that make FusionAuth match `desired`, webhook first, then each tenant. The webhook
 * is matched by URL; the fields this command sets are replaced, the others (description, data,
 * certificate) are kept. `newWebhookId` is the id a new webhook gets, chosen here so that every
 * request is known before the first is sent.
 */
export function planRegistration(
  desired: DesiredWebhook,
  transactionType: TransactionType,
  state: FusionAuthState,
  newWebhookId: string,
): Step[] {
  const { step, webhook } = planWebhook(desired, state.webhooks, newWebhookId);
  const webhooksAfter = [...state.webhooks.filter((other) => other.id !== webhook.id), webhook];
  const tenantSteps = state.tenants.map((tenant) =>
    planTenant(tenant, desired.events, transactionType, linkedWebhookIds(webhooksAfter, tenant.id!)),
  );
  return [step, ...tenantSteps];
}

function planWebhook(desired: DesiredWebhook, webhooks: readonly Webhook[], newWebhookId: string) {
  const matches = webhooks.filter((webhook) => webhook.url !== undefined && sameUrl(webhook.url, desired.url));
  if (matches.length > 1) {
    throw new Error(
      `FusionAuth has ${matches.length} webhooks for ${desired.url} (${matches.map((webhook) => webhook.id).join(', ')}): ` +
        'delete all but one under Settings → Webhooks, then run this again.',
    );
  }
  const existing = matches[0];
  const owned = ownedFields(desired);
  if (!existing) {
    const webhook: Webhook = { description: WEBHOOK_DESCRIPTION, ...owned };
    return {
      webhook: { ...webhook, id: newWebhookId },
      step: {
        subject: `webhook ${desired.url} (${newWebhookId})`,
        outcome: 'create',
        changes: [],
        request: { kind: 'createWebhook', webhookId: newWebhookId, body: { webhook } },
      } satisfies Step,
    };
  }
  const id = existing.id!;
  const changes = webhookDifferences(existing, owned);
  const webhook: Webhook = { ...keptFields(existing), ...owned };
  return {
    webhook: { ...webhook, id },
    step: {
      subject: `webhook ${desired.url} (${id})`,
      outcome: changes.length === 0 ? 'unchanged' : 'update',
      changes,
      // PUT, not PATCH: FusionAuth's PATCH appends to arrays such as tenantIds (its API overview).
      request: changes.length === 0 ? undefined : { kind: 'updateWebhook', webhookId: id, body: { webhook } },
    } satisfies Step,
  };
}

/** The fields this command decides; PUT leaves out what is undefined here, which clears it. */
function ownedFields(desired: DesiredWebhook): Webhook {
  return {
    url: desired.url,
    connectTimeout: desired.connectTimeout,
    readTimeout: desired.readTimeout,
    headers: desired.apiKey ? { [desired.apiKey.header]: desired.apiKey.value } : {},
    // The client types this as a record of every event type; FusionAuth takes any subset.
    eventsEnabled: Object.fromEntries(desired.events.map((event) => [event, true])) as Webhook['eventsEnabled'],
    global: desired.tenants.global,
    tenantIds: desired.tenants.global ? [] : [...desired.tenants.tenantIds],
    httpAuthenticationUsername: desired.basicAuth?.username,
    httpAuthenticationPassword: desired.basicAuth?.password,
    signatureConfiguration: desired.signingKeyId ? { enabled: true, signingKeyId: desired.signingKeyId } : { enabled: false },
  };
}

/** What a PUT must repeat so that it does not drop it; read-only fields go. */
function keptFields(existing: Webhook): Webhook {
  const { id: _id, insertInstant: _inserted, lastUpdateInstant: _updated, ...kept } = existing;
  // FusionAuth refuses sslCertificate beside sslCertificateKeyId, which replaced it (1.48.0).
  if (kept.sslCertificateKeyId) delete kept.sslCertificate;
  return kept;
}

function webhookDifferences(existing: Webhook, owned: Webhook): string[] {
  const differs: Record<string, boolean> = {
    url: existing.url !== owned.url,
    connectTimeout: existing.connectTimeout !== owned.connectTimeout,
    readTimeout: existing.readTimeout !== owned.readTimeout,
    headers: !sameRecord(existing.headers ?? {}, owned.headers ?? {}),
    eventsEnabled: !sameSet(enabledEvents(existing), enabledEvents(owned)),
    global: (existing.global ?? false) !== owned.global,
    // A global webhook takes every tenant's events, whatever tenants it still lists.
    tenantIds: !owned.global && !sameSet(lowerCase(existing.tenantIds), lowerCase(owned.tenantIds)),
    httpAuthenticationUsername: (existing.httpAuthenticationUsername ?? '') !== (owned.httpAuthenticationUsername ?? ''),
    httpAuthenticationPassword: (existing.httpAuthenticationPassword ?? '') !== (owned.httpAuthenticationPassword ?? ''),
    signatureConfiguration: !sameSignature(existing.signatureConfiguration, owned.signatureConfiguration),
  };
  return Object.keys(differs).filter((field) => differs[field]);
}

function planTenant(
  tenant: Tenant,
  events: readonly EventTypeName[],
  transactionType: TransactionType,
  webhookIds: string[],
): Step {
  const current: Partial<Record<string, EventConfigurationData>> = tenant.eventConfiguration?.events ?? {};
  const changed = events
    .filter(isTenantScoped)
    .map((event) => [event, { enabled: true, transactionType: transactionTypeFor(event, transactionType) }] as const)
    .filter(([event, wanted]) => current[event]?.enabled !== true || current[event]?.transactionType !== wanted.transactionType);
  const subject = `tenant ${tenant.name} (${tenant.id})`;
  if (changed.length === 0) return { subject, outcome: 'unchanged', changes: [], request: undefined };
  return {
    subject,
    outcome: 'update',
    changes: changed.map(([event, wanted]) => `${event}: enabled, ${wanted.transactionType}`),
    request: {
      kind: 'patchTenant',
      tenantId: tenant.id!,
      body: {
        // Only these events: PATCH merges objects, so the tenant's other event settings stay.
        tenant: { eventConfiguration: { events: Object.fromEntries(changed) as Record<EventTypeName, EventConfigurationData> } },
        // A tenant PATCH without webhookIds unlinks the tenant from every webhook not global
        // (FusionAuth issue 2411); naming the ones linked now keeps them.
        webhookIds,
      },
    },
  };
}

/** The webhooks, global ones aside, that take the tenant's events. */
function linkedWebhookIds(webhooks: readonly Webhook[], tenantId: string): string[] {
  return webhooks
    .filter((webhook) => !webhook.global && lowerCase(webhook.tenantIds).includes(tenantId.toLowerCase()))
    .map((webhook) => webhook.id!)
    .sort();
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

const lowerCase = (ids: readonly string[] | undefined): string[] => (ids ?? []).map((id) => id.toLowerCase());

const enabledEvents = (webhook: Webhook): string[] =>
  Object.entries(webhook.eventsEnabled ?? {})
    .filter(([, enabled]) => enabled)
    .map(([event]) => event);

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  new Set(a).size === new Set(b).size && a.every((value) => b.includes(value));

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);

function sameSignature(a: Webhook['signatureConfiguration'], b: Webhook['signatureConfiguration']): boolean {
  const enabled = a?.enabled ?? false;
  if (enabled !== (b?.enabled ?? false)) return false;
  return !enabled || a?.signingKeyId?.toLowerCase() === b?.signingKeyId?.toLowerCase();
}
