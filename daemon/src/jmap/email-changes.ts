import type { MethodCall } from './api';
import { parseChanges } from './changes';
import type { ChangesResponse } from './types';

/** Email/changes (RFC 8621 §4.3, RFC 8620 §5.2): what changed since `sinceState`, at most `maxChanges`. */
export function emailChanges(
  accountId: string,
  sinceState: string,
  maxChanges: number,
): MethodCall<ChangesResponse> {
  return { name: 'Email/changes', args: { accountId, sinceState, maxChanges }, parse: parseChanges };
}
