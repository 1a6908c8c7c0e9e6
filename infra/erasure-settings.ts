import { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  DEFAULT_CONFIRM_DELAY_SECONDS,
  DEFAULT_CONFIRM_WINDOW_SECONDS,
  DEFAULT_INDEX_SETTLE_MS,
  DEFAULT_RETENTION_DAYS,
  MAX_CONFIRM_WINDOW_SECONDS,
  MAX_DELAY_SECONDS,
} from '../lambda/erasure/erasure-limits.ts';
import { checkSecureUrl } from './secure-url.ts';

// The runtime's own defaults and limits, from its import-free module.
export const MAX_DELAY = Duration.seconds(MAX_DELAY_SECONDS);
export const MAX_CONFIRM_WINDOW = Duration.seconds(MAX_CONFIRM_WINDOW_SECONDS);
const DEFAULT_CONFIRM_DELAY = Duration.seconds(DEFAULT_CONFIRM_DELAY_SECONDS);
const DEFAULT_CONFIRM_WINDOW = Duration.seconds(DEFAULT_CONFIRM_WINDOW_SECONDS);
const DEFAULT_RETENTION = Duration.days(DEFAULT_RETENTION_DAYS);
const DEFAULT_INDEX_SETTLE = Duration.millis(DEFAULT_INDEX_SETTLE_MS);

/**
 * How an erasure goes. FusionAuth sends `user.delete` (and `user.registration.delete`) inside its
 * transaction, before the deletion is committed, and may still roll it back; the webhook only
 * records the request then, and erases once the deletion is confirmed: by the `.complete` event
 * FusionAuth sends after its commit, or by the worker asking FusionAuth's API (`fusionAuth`).
 */
export interface ErasureProps {
  /**
   * How long after a request the worker first asks FusionAuth whether the user is gone; each
   * later look waits twice as long as the one before (ERASURE_CONFIRM_DELAY_SECONDS). Without
   * `fusionAuth` there is nothing to ask, and the only look is at the end of the window.
   * @default Duration.seconds(10)
   */
  readonly confirmDelay?: Duration;
  /**
   * How long a request waits for its confirmation (ERASURE_CONFIRM_WINDOW_SECONDS), up to two
   * days. At its end the request is rolled back if FusionAuth still has the user, and
   * unconfirmed (for a person to resolve, with an alarm) if nothing could be proven. A bulk
   * delete can hold FusionAuth's transaction for minutes.
   * @default Duration.hours(1)
   */
  readonly confirmWindow?: Duration;
  /**
   * How long the ledger keeps the receipt of a finished erasure, in whole days
   * (ERASURE_RETENTION_DAYS): what shows the user, or an auditor, that it happened. A receipt
   * holds the user id and nothing else.
   * @default Duration.days(365)
   */
  readonly retention?: Duration;
  /**
   * How long after an erasure a last pass looks for Todos written meanwhile, e.g. with a token
   * that outlived the user (ERASURE_SECOND_PASS_SECONDS), up to 15 minutes;
   * `Duration.seconds(0)`: none.
   * @default - 15 minutes after every erasure that reads an index, whose reads lag the table; none otherwise
   */
  readonly secondPass?: Duration;
  /**
   * How long an index is given to catch up before the pass that must find nothing
   * (INDEX_SETTLE_MS). It must fit in the worker's timeout.
   * @default Duration.seconds(1)
   */
  readonly indexSettle?: Duration;
  /**
   * Erase on `user.delete` and `user.registration.delete` themselves, inside FusionAuth's
   * transaction and before its commit, instead of waiting for a confirmation
   * (ERASE_BEFORE_COMMIT). Risky: when FusionAuth rolls the deletion back (another webhook
   * failed, the database did), the user stays and their Todos are gone for good. Only for a
   * FusionAuth that cannot send the `.complete` events, and whose API the worker cannot ask.
   * @default false
   */
  readonly eraseBeforeCommit?: boolean;
}

/** FusionAuth's API, which the worker asks whether a deleted user is really gone (`GET /api/user/{id}`). */
export interface FusionAuthProps {
  /**
   * FusionAuth's base URL, e.g. `https://auth.example.com` (FUSIONAUTH_URL): https, or http only to
   * `localhost`, `127.0.0.1`, `[::1]` or `host.docker.internal` for a FusionAuth on the machine.
   */
  readonly url: string;
  /**
   * An existing secret whose SecretString is a FusionAuth API key allowed GET on `/api/user` and
   * nothing more (FUSIONAUTH_API_KEY_SECRET_ARN). Only the worker reads it.
   * @default - a new secret holding a placeholder: `npm run register` writes the key into it
   */
  readonly apiKeySecret?: ISecret;
}

/** The erasure props, checked, in the units of the runtime's variables. */
export interface ResolvedErasure {
  readonly confirmDelaySeconds: number;
  readonly confirmWindowSeconds: number;
  readonly retentionDays: number;
  /** Undefined: the runtime's default, which depends on whether a target reads an index. */
  readonly secondPassSeconds: number | undefined;
  readonly indexSettle: Duration;
  readonly eraseBeforeCommit: boolean;
}

/**
 * The erasure props checked against the limits the functions apply at start, so a setting that
 * cannot work fails `cdk synth` rather than every cold start.
 */
export function resolveErasure(props: ErasureProps): ResolvedErasure {
  const confirmDelay = props.confirmDelay ?? DEFAULT_CONFIRM_DELAY;
  const confirmWindow = props.confirmWindow ?? DEFAULT_CONFIRM_WINDOW;
  const retention = props.retention ?? DEFAULT_RETENTION;
  const indexSettle = props.indexSettle ?? DEFAULT_INDEX_SETTLE;
  checkWhole('confirmDelay', confirmDelay.toSeconds({ integral: false }), 'seconds', 0, MAX_DELAY.toSeconds());
  checkWhole('confirmWindow', confirmWindow.toSeconds({ integral: false }), 'seconds', 1, MAX_CONFIRM_WINDOW.toSeconds());
  checkWhole('retention', retention.toDays({ integral: false }), 'days', 1, Number.MAX_SAFE_INTEGER);
  checkWhole('indexSettle', indexSettle.toMilliseconds({ integral: false }), 'milliseconds', 0, Number.MAX_SAFE_INTEGER);
  if (props.secondPass) checkWhole('secondPass', props.secondPass.toSeconds({ integral: false }), 'seconds', 0, MAX_DELAY.toSeconds());
  return {
    confirmDelaySeconds: confirmDelay.toSeconds(),
    confirmWindowSeconds: confirmWindow.toSeconds(),
    retentionDays: retention.toDays(),
    secondPassSeconds: props.secondPass?.toSeconds(),
    indexSettle,
    eraseBeforeCommit: props.eraseBeforeCommit ?? false,
  };
}

/** The variables both functions read about erasures (lambda/erasure/erasure-config.ts). */
export function erasureEnvironment(erasure: ResolvedErasure): Record<string, string> {
  return {
    ERASURE_CONFIRM_DELAY_SECONDS: String(erasure.confirmDelaySeconds),
    ERASURE_CONFIRM_WINDOW_SECONDS: String(erasure.confirmWindowSeconds),
    ERASURE_RETENTION_DAYS: String(erasure.retentionDays),
    // Empty: the runtime decides once it has described the targets' tables.
    ERASURE_SECOND_PASS_SECONDS: erasure.secondPassSeconds === undefined ? '' : String(erasure.secondPassSeconds),
    INDEX_SETTLE_MS: String(erasure.indexSettle.toMilliseconds()),
  };
}

/** Refuses a URL the worker would refuse to send the key to. */
export function checkFusionAuth(props: FusionAuthProps): void {
  checkSecureUrl(props.url, 'fusionAuth.url', 'https://auth.example.com');
}

function checkWhole(name: string, value: number, unit: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`PassportWebhook erasure.${name} must be a whole number of ${unit}, ${range}; got ${value}.`);
  }
}
