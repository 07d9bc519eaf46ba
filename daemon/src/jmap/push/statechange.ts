/**
 * A StateChange push object (RFC 8620 §7.1), for one account: type name → new state. Push only
 * says *that* something changed; the watcher then asks what from its stored state.
 */
export type AccountStates = Record<string, string>;

/** The types this client watches (RFC 8621 §1.5 data types). */
export const PUSH_TYPES = ['Email', 'Mailbox'] as const;

/**
 * The states a StateChange names for `accountId`, or undefined when the object is not a
 * StateChange or says nothing of that account. Unknown or malformed parts are ignored.
 */
export function parseStateChange(json: unknown, accountId: string): AccountStates | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as { '@type'?: unknown; changed?: unknown };
  if (o['@type'] !== 'StateChange' || typeof o.changed !== 'object' || o.changed === null) return undefined;
  const mine = (o.changed as Record<string, unknown>)[accountId];
  if (typeof mine !== 'object' || mine === null) return undefined;
  const out: AccountStates = {};
  for (const [type, state] of Object.entries(mine)) if (typeof state === 'string') out[type] = state;
  return out;
}
