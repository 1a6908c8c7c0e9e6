import { randomUUID } from 'node:crypto';
import { type EventInfo, EventType, type User, type UserRegistration } from '@fusionauth/typescript-client';
import type { Caller } from './auth.ts';
import { registrationEvent, userEvent } from './events.ts';
import {
  empty,
  fieldError,
  invalid,
  isObject,
  isUuid,
  ok,
  type Reply,
  sameId,
  specify,
  tenantIdRequired,
  webhookTransactionFailed,
} from './http.ts';
import { fusionAuthRegistration, fusionAuthUser, publicUser, type State } from './model.ts';
import type { TransactionPlan, WebhookSender } from './transactions.ts';

/** One request to the User or Registration API, already authenticated. */
export interface UserRequest {
  readonly state: State;
  readonly sender: WebhookSender;
  readonly caller: Caller;
  readonly method: string;
  /** The path after `/api/user`, split: `[]`, `['search']`, `['bulk']`, `['registration', userId, applicationId]`, `[userId]`. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** `event.info` for the events this request causes: the caller's address and agent, and the request's `eventInfo`. */
  readonly info: EventInfo;
}

/** Bulk delete's default and maximum (SITE:apis/users/bulk-delete.mdx, `limit`). */
const BULK_LIMIT = 10_000;
/** Search's default page size (SITE:apis/users/_user-search-request-parameters.mdx, `numberOfResults`). */
const DEFAULT_RESULTS = 25;

export async function routeUsers(request: UserRequest): Promise<Reply> {
  const { method, segments } = request;
  const [first, second, third, ...rest] = segments;
  if (first === 'search') return segments.length === 1 && ['GET', 'POST'].includes(method) ? search(request) : empty(405);
  if (first === 'bulk') return segments.length === 1 && method === 'DELETE' ? bulkDelete(request) : empty(405);
  if (first === 'registration') {
    if (second === undefined || rest.length > 0) return empty(404);
    if (method === 'POST' && third === undefined) return createRegistration(request, second);
    if (method === 'GET' && third !== undefined) return retrieveRegistration(request, second, third);
    if (method === 'DELETE' && third !== undefined) return deleteRegistration(request, second, third);
    return empty(405);
  }
  if (segments.length > 1) return empty(404);
  if (method === 'POST') return createUser(request, first);
  if (first === undefined) return empty(404);
  if (method === 'GET') return retrieveUser(request, first);
  if (method === 'DELETE') return deleteUser(request, first);
  return empty(405);
}

/**
 * The user by id, as the caller may see it: a tenant-scoped request does not find another tenant's
 * user, and FusionAuth answers that 404 (SITE:apis/_tenant-authentication.mdx, "Tenant Errors").
 */
function visibleUser({ state, caller }: UserRequest, id: string): User | undefined {
  const user = isUuid(id) ? [...state.users.values()].find((candidate) => sameId(candidate.id, id)) : undefined;
  return user && visible(caller, user) ? user : undefined;
}

const visible = (caller: Caller, user: User): boolean => caller.tenantId === undefined || sameId(caller.tenantId, user.tenantId);

/** Runs the plan and answers as FusionAuth does: its success, 504 for the webhooks, 500 when the commit fails. */
async function transact(request: UserRequest, plan: TransactionPlan, success: () => Reply): Promise<Reply> {
  const result = await request.sender.transaction(plan);
  if (result === 'webhooks-failed') return webhookTransactionFailed();
  if (result === 'commit-failed') return empty(500);
  return success();
}

// --- Retrieve and search (SITE:apis/users/retrieve.mdx, apis/users/search.mdx) ----------------

function retrieveUser(request: UserRequest, id: string): Reply {
  const user = visibleUser(request, id);
  return user ? ok({ user: publicUser(user) }) : empty(404);
}

/**
 * Search by `ids` (not paginated: the docs say so) or by a database-engine `queryString`: `*`, or one
 * term matched case-insensitively against whole names, email and username, paginated by `startRow`
 * and `numberOfResults`. The answer is `{total, users}` of the users the caller may see.
 */
function search(request: UserRequest): Reply {
  const criteria = request.method === 'GET' ? searchFromQuery(request.query) : searchFromBody(request.body);
  if ('errors' in criteria) return criteria.errors;
  const { state, caller } = request;
  if (criteria.ids !== undefined) {
    const users = criteria.ids.map((id) => visibleUser(request, id)).filter((user): user is User => user !== undefined);
    return ok({ total: users.length, users: users.map(publicUser) });
  }
  const matches = [...state.users.values()].filter((user) => visible(caller, user) && matchesQuery(user, criteria.queryString));
  const page = matches.slice(criteria.startRow, criteria.startRow + criteria.numberOfResults);
  return ok({ total: matches.length, users: page.map(publicUser) });
}

interface SearchCriteria {
  ids?: string[];
  queryString: string;
  startRow: number;
  numberOfResults: number;
}

function searchFromQuery(query: URLSearchParams): SearchCriteria | { errors: Reply } {
  const ids = query.getAll('ids');
  return criteriaOf(ids.length > 0 ? ids : undefined, query.get('queryString'), query.get('startRow'), query.get('numberOfResults'), '');
}

function searchFromBody(body: unknown): SearchCriteria | { errors: Reply } {
  if (!isObject(body) || !isObject(body.search)) return { errors: invalid(fieldError('search', '[missing]search', specify('search'))) };
  const { ids, queryString, startRow, numberOfResults } = body.search;
  if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) {
    return { errors: invalid(fieldError('search.ids', '[invalid]search.ids', 'The [search.ids] property must be an array of UUIDs.')) };
  }
  return criteriaOf(ids as string[] | undefined, queryString, startRow, numberOfResults, 'search.');
}

function criteriaOf(ids: string[] | undefined, queryString: unknown, startRow: unknown, numberOfResults: unknown, prefix: string): SearchCriteria | { errors: Reply } {
  if (ids === undefined && (typeof queryString !== 'string' || queryString.trim() === '')) {
    const field = `${prefix}queryString`;
    return { errors: invalid(fieldError(field, `[blank]${field}`, `You must specify either the [${prefix}ids] or the [${field}] property.`)) };
  }
  return {
    ids,
    queryString: typeof queryString === 'string' ? queryString.trim() : '',
    startRow: Math.max(0, Number(startRow ?? 0) || 0),
    numberOfResults: Math.max(0, Number(numberOfResults ?? DEFAULT_RESULTS) || DEFAULT_RESULTS),
  };
}

function matchesQuery(user: User, queryString: string): boolean {
  if (queryString === '*') return true;
  const term = queryString.toLowerCase();
  return [user.firstName, user.lastName, user.fullName, user.email, user.username].some((field) => field?.toLowerCase() === term);
}

// --- Create (SITE:apis/users/create.mdx, apis/registrations/create-a-user-registration-for-an-existing-user.mdx)

/**
 * The new user's tenant: the caller's scope, or the only tenant there is; with more than one and no
 * scope FusionAuth needs to be told (apis/_x-fusionauth-tenant-id-header-create-operation.mdx). A
 * `user.tenantId` in the body does not choose it.
 */
function creationTenant({ state, caller }: UserRequest): string | undefined {
  if (caller.tenantId !== undefined) return [...state.tenants.keys()].find((id) => sameId(id, caller.tenantId)) ?? caller.tenantId;
  return state.tenants.size === 1 ? [...state.tenants.keys()][0] : undefined;
}

async function createUser(request: UserRequest, pathId: string | undefined): Promise<Reply> {
  const { state, body, info } = request;
  if (!isObject(body) || !isObject(body.user)) return invalid(fieldError('user', '[missing]user', specify('user')));
  const tenantId = creationTenant(request);
  if (tenantId === undefined) return tenantIdRequired();
  const given = body.user as User;
  const id = pathId ?? given.id ?? randomUUID();
  if (!isUuid(id)) return empty(404);
  if (state.users.has(id)) return invalid(fieldError('userId', '[duplicate]userId', `A User with Id [${id}] already exists.`));
  if (!given.email && !given.username) {
    return invalid(fieldError('user.email', '[blank]user.email', 'You must specify either the [user.email] or [user.username] property.'));
  }
  const email = given.email?.toLowerCase();
  const taken = email !== undefined && [...state.users.values()].some((user) => sameId(user.tenantId, tenantId) && user.email?.toLowerCase() === email);
  if (taken) return invalid(fieldError('user.email', '[duplicate]user.email', `A User with email [${given.email}] already exists.`));
  // Registrations are made with the Registration API; a user is created without any.
  const user = fusionAuthUser({ ...given, registrations: [], id, tenantId });
  const plan = { operation: 'user.create', eventType: EventType.UserCreate, userIds: [id], events: [userEvent(EventType.UserCreate, user, info)], commit: () => state.users.set(id, user) } as const;
  return transact(request, plan, () => ({
    ...ok({ user: publicUser(user) }),
    afterResponse: () => request.sender.notify(userEvent(EventType.UserCreateComplete, user, info)),
  }));
}

async function createRegistration(request: UserRequest, userId: string): Promise<Reply> {
  const { state, body, info } = request;
  const user = visibleUser(request, userId);
  if (!user) return empty(404);
  if (!isObject(body) || !isObject(body.registration)) return invalid(fieldError('registration', '[missing]registration', specify('registration')));
  const given = body.registration as UserRegistration;
  if (!isUuid(given.applicationId)) {
    return invalid(fieldError('registration.applicationId', '[missing]registration.applicationId', specify('registration.applicationId')));
  }
  if ((user.registrations ?? []).some((existing) => sameId(existing.applicationId, given.applicationId))) {
    return invalid(fieldError('registration.applicationId', '[duplicate]registration.applicationId', 'The user is already registered for this application.'));
  }
  // The stand-in serves no Application API, so any application id is taken as one FusionAuth knows.
  const registration = fusionAuthRegistration(given);
  const plan = {
    operation: 'user.registration.create',
    eventType: EventType.UserRegistrationCreate,
    userIds: [user.id!],
    events: [registrationEvent(EventType.UserRegistrationCreate, user, registration, info)],
    commit: () => updateUser(state, user.id!, (stored) => ({ ...stored, registrations: [...(stored.registrations ?? []), registration] })),
  } as const;
  return transact(request, plan, () => ({
    ...ok({ registration }),
    afterResponse: () => notifyWithCurrentUser(request, user.id!, (current) => registrationEvent(EventType.UserRegistrationCreateComplete, current, registration, info)),
  }));
}

// --- Delete (SITE:apis/users/delete.mdx, apis/users/bulk-delete.mdx, apis/registrations/delete-a-user-registration.mdx)

/**
 * `DELETE /api/user/{id}` deactivates ("soft delete": `user.deactivate`, the user stays, inactive);
 * with `hardDelete=true` (query or body) it deletes: `user.delete` in the transaction, then
 * `user.delete.complete` once committed. Either answers 200 with no body.
 */
async function deleteUser(request: UserRequest, id: string): Promise<Reply> {
  const user = visibleUser(request, id);
  if (!user) return empty(404);
  const hardDelete = flag(request, 'hardDelete');
  const { state, info } = request;
  if (!hardDelete) {
    const plan = {
      operation: 'user.deactivate',
      eventType: EventType.UserDeactivate,
      userIds: [user.id!],
      events: [userEvent(EventType.UserDeactivate, { ...user, active: false }, info)],
      commit: () => deactivate(state, user.id!),
    } as const;
    return transact(request, plan, () => empty(200));
  }
  const plan = {
    operation: 'user.delete',
    eventType: EventType.UserDelete,
    userIds: [user.id!],
    events: [userEvent(EventType.UserDelete, user, info)],
    commit: () => state.users.delete(user.id!),
  } as const;
  return transact(request, plan, () => ({
    ...empty(200),
    afterResponse: () => request.sender.notify(userEvent(EventType.UserDeleteComplete, user, info)),
  }));
}

/**
 * Bulk delete by `userId` query parameters or a JSON body `{userIds, hardDelete, dryRun, limit}`: one
 * `user.delete` (or `user.deactivate`) per user, each with its own user, and no `.complete`
 * (FusionAuth issue 3269). The docs do not say whether the users share a transaction; the request is
 * one API call answered by one status, 504 included, so the stand-in runs them in one: the events go
 * out user by user, the first that misses its level rolls every user back, and a commit commits all.
 * A `queryString` is matched as by the database search engine; a raw `query` is not served.
 */
async function bulkDelete(request: UserRequest): Promise<Reply> {
  const { state, info, query, body } = request;
  const fromBody = isObject(body) ? body : {};
  const queryIds = query.getAll('userId');
  const ids = queryIds.length > 0 ? queryIds : Array.isArray(fromBody.userIds) ? fromBody.userIds.filter((id): id is string => typeof id === 'string') : undefined;
  const queryString = query.get('queryString') ?? (typeof fromBody.queryString === 'string' ? fromBody.queryString : undefined);
  if (ids === undefined && !queryString) {
    return invalid(fieldError('userIds', '[missing]userIds', 'You must specify either the [userIds], [query], or [queryString] property.'));
  }
  const hardDelete = flag(request, 'hardDelete');
  const dryRun = flag(request, 'dryRun');
  const limit = Math.min(BULK_LIMIT, Number(query.get('limit') ?? fromBody.limit ?? BULK_LIMIT) || BULK_LIMIT);
  const candidates = ids !== undefined ? unique(ids).map((id) => visibleUser(request, id)) : [...state.users.values()].filter((user) => visible(request.caller, user) && matchesQuery(user, queryString!));
  const users = candidates.filter((user): user is User => user !== undefined).slice(0, limit);
  const userIds = users.map((user) => user.id!);
  const answer = () => ok({ dryRun, hardDelete, total: users.length, ...(users.length > 0 && { userIds }) });
  if (dryRun || users.length === 0) return answer();
  const eventType = hardDelete ? EventType.UserDelete : EventType.UserDeactivate;
  const plan = {
    operation: hardDelete ? 'user.bulk.delete' : 'user.bulk.deactivate',
    eventType,
    userIds,
    events: users.map((user) => userEvent(eventType, hardDelete ? user : { ...user, active: false }, info)),
    commit: () => userIds.forEach((id) => (hardDelete ? state.users.delete(id) : deactivate(state, id))),
  } as const;
  return transact(request, plan, answer);
}

/**
 * `user.registration.delete` in the transaction, `user.registration.delete.complete` after; only
 * that registration goes. The docs leave open which user the events carry; the stand-in sends the user
 * as loaded before the change (still registered) in the transactional event, and as committed
 * (without the registration) in the `.complete` one.
 */
async function deleteRegistration(request: UserRequest, userId: string, applicationId: string): Promise<Reply> {
  const { state, info } = request;
  const user = visibleUser(request, userId);
  const registration = user?.registrations?.find((candidate) => sameId(candidate.applicationId, applicationId));
  if (!user || !registration) return empty(404);
  const plan = {
    operation: 'user.registration.delete',
    eventType: EventType.UserRegistrationDelete,
    userIds: [user.id!],
    events: [registrationEvent(EventType.UserRegistrationDelete, user, registration, info)],
    commit: () =>
      updateUser(state, user.id!, (stored) => ({
        ...stored,
        registrations: (stored.registrations ?? []).filter((candidate) => !sameId(candidate.applicationId, applicationId)),
      })),
  } as const;
  return transact(request, plan, () => ({
    ...empty(200),
    afterResponse: () => notifyWithCurrentUser(request, user.id!, (current) => registrationEvent(EventType.UserRegistrationDeleteComplete, current, registration, info)),
  }));
}

function retrieveRegistration(request: UserRequest, userId: string, applicationId: string): Reply {
  const registration = visibleUser(request, userId)?.registrations?.find((candidate) => sameId(candidate.applicationId, applicationId));
  return registration ? ok({ registration }) : empty(404);
}

// --- Helpers ---------------------------------------------------------------------------------

/** A boolean request parameter, from the query string or the JSON body. */
function flag({ query, body }: UserRequest, name: string): boolean {
  const value = query.get(name);
  if (value !== null) return value.toLowerCase() === 'true';
  return isObject(body) && body[name] === true;
}

const unique = (ids: readonly string[]): string[] => [...new Map(ids.map((id) => [id.toLowerCase(), id])).values()];

function updateUser(state: State, id: string, change: (user: User) => User): void {
  const stored = state.users.get(id);
  if (stored) state.users.set(id, { ...change(stored), lastUpdateInstant: Date.now() });
}

const deactivate = (state: State, id: string) => updateUser(state, id, (user) => ({ ...user, active: false }));

/** A `.complete` event built from the user as committed, if the user is still there. */
function notifyWithCurrentUser(request: UserRequest, userId: string, build: (user: User) => ReturnType<typeof userEvent>): void {
  const current = request.state.users.get(userId);
  if (current) request.sender.notify(build(current));
}
