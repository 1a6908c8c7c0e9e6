/**
 * FusionAuth gives every user a UUID (imports may bring any version, so any is accepted). An id
 * recovered from a key that is not one cannot be a FusionAuth user: FusionAuth not knowing it
 * proves nothing, so such an id is counted and reported, never erased.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isFusionAuthId = (id: string): boolean => UUID.test(id);

/** FusionAuth's ids are equal whatever their case: lookups and tallies use this form. */
export const idKey = (id: string): string => id.toLowerCase();
