/**
 * The refusal: a reconcile that finds too many of the users it asked about missing is asking the
 * wrong FusionAuth (another instance, a key that sees one tenant, a wrong X-FusionAuth-TenantId),
 * not finding users the webhook missed. Pure, so the CLI and the scheduled run decide alike.
 */

/** The share of checked users that may be missing before a run refuses to erase. */
export const DEFAULT_MAX_MISSING = 0.2;
/** Users checked before a run may stop early on a hopeless ratio. */
export const EARLY_STOP_SAMPLE = 1_000;
/** z for a one-sided 99.9% bound: an early stop is all but certain to be what the whole run would decide. */
const EARLY_STOP_Z = 3.09;

export class MaxMissingError extends Error {
  override name = 'MaxMissingError';
}

/**
 * `20%` or `0.2` (a fraction of the users checked), from 0 to 100%: `100%` turns the refusal off,
 * `0` refuses any missing user (a dry check).
 */
export function parseMaxMissing(text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const number = Number(percent ? trimmed.slice(0, -1) : trimmed);
  const fraction = percent ? number / 100 : number;
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new MaxMissingError(`max-missing must be a percentage from 0% to 100% (e.g. 20%) or a fraction from 0 to 1 (e.g. 0.2); got "${text}".`);
  }
  return fraction;
}

export interface MissingTally {
  /** FusionAuth user ids FusionAuth was asked about. */
  readonly checked: number;
  /** Of those, the ones it does not have. */
  readonly missing: number;
}

export type MissingVerdict =
  | { readonly outcome: 'within'; readonly ratio: number }
  | { readonly outcome: 'refused'; readonly ratio: number; readonly reason: string };

export const missingRatio = ({ checked, missing }: MissingTally): number => (checked === 0 ? 0 : missing / checked);

/** The decision over everything checked: within `maxMissing`, or refused with why. */
export function judgeMissing(tally: MissingTally, maxMissing: number, override = 'run again with --max-missing 100%'): MissingVerdict {
  const ratio = missingRatio(tally);
  if (ratio <= maxMissing) return { outcome: 'within', ratio };
  return { outcome: 'refused', ratio, reason: refusal(tally, maxMissing, override) };
}

/**
 * Whether the run can stop before the end: after a sample of `EARLY_STOP_SAMPLE` users, the
 * Wilson lower bound of the missing share (99.9%, one-sided) is above `maxMissing`, so checking
 * the rest would almost surely refuse too. Sooner than that, or with the refusal off, never.
 */
export function hopeless(tally: MissingTally, maxMissing: number): boolean {
  if (maxMissing >= 1 || tally.checked < EARLY_STOP_SAMPLE) return false;
  return wilsonLowerBound(tally.missing, tally.checked, EARLY_STOP_Z) > maxMissing;
}

export function wilsonLowerBound(successes: number, trials: number, z: number): number {
  if (trials === 0) return 0;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return Math.max(0, (centre - margin) / (1 + z2 / trials));
}

export const percent = (fraction: number): string => `${(Math.round(fraction * 1000) / 10).toString()}%`;

function refusal({ checked, missing }: MissingTally, maxMissing: number, override: string): string {
  return (
    `FusionAuth does not have ${missing} of the ${checked} users it was asked about (${percent(missing / checked)}), more than ` +
    `max-missing ${percent(maxMissing)}: nothing was erased. That many deletions the webhook never heard of is unlikely; ` +
    'more likely FusionAuth was asked the wrong question: another FusionAuth (check the URL), a key locked to one tenant ' +
    `while the Todos belong to several, or a wrong tenant id. If the users really are gone, ${override}.`
  );
}
