/**
 * An error the webhook answers with its own status and a public `code`; anything else that
 * escapes is a 500 whose details stay in the log.
 */
export class WebhookError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MethodNotAllowedError extends WebhookError {
  constructor(method: string | undefined) {
    super(405, '[methodNotAllowed]', `Method ${method ?? '(none)'} is not allowed; Passport sends POST.`);
  }
}

export class NotAuthorizedError extends WebhookError {
  constructor() {
    super(401, '[notAuthorized]', 'The request is missing a valid credential.');
  }
}

/** The credentials to check a request against could not be loaded: Passport must see a failure. */
export class CredentialsUnavailableError extends WebhookError {
  /** `reason` goes to the log only; the response names no detail. */
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(500, '[credentialsUnavailable]', 'The webhook could not load its credentials; see its logs.', options);
  }
}

export class PayloadTooLargeError extends WebhookError {
  constructor(limitBytes: number) {
    super(413, '[tooLarge]', `The request body is larger than ${limitBytes} bytes.`);
  }
}

/** The body is not a Passport event, or lacks a field its handler needs. */
export class InvalidEventError extends WebhookError {
  constructor(code: string, message: string) {
    super(400, code, message);
  }
}

/** The same event id came again with another body: a forgery or a bug, never a redelivery. */
export class EventConflictError extends WebhookError {
  constructor() {
    super(409, '[conflict]event.id', 'This event id was received before with another body; a redelivery carries the same body.');
  }
}

/** Deletion ran out of retries with Todos still in the table. */
export class TodosRemainError extends Error {
  constructor(
    readonly remaining: number,
    readonly deleted: number,
  ) {
    super(`${remaining} Todo(s) remain after retries ran out (${deleted} deleted)`);
    this.name = 'TodosRemainError';
  }
}

/** The time for a delivery ran out before its Todos were all gone, and no queue takes the rest. */
export class DeletionUnfinishedError extends Error {
  constructor(readonly deleted: number) {
    super(`the time budget ran out after ${deleted} Todo(s) were deleted, and no deletion queue is configured`);
    this.name = 'DeletionUnfinishedError';
  }
}

/** The environment does not describe a working webhook; raised at start, never per request. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}
