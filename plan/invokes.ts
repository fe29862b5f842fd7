/**
 * Offline answers to the program's lookups (data sources), by invoke token, for `esiphub plan` and the tests.
 * A lookup with no entry here fails the offline run: nothing is answered by accident.
 */
export type OfflineInvoke = (inputs: Record<string, any>) => Record<string, unknown>;

export const OFFLINE_INVOKES: Record<string, OfflineInvoke> = {};
