import type { MethodCall } from './api';
import { str } from './api';

export interface EmailSetResponse {
  newState: string;
  updated: string[];
  notUpdated: { id: string; type: string }[];
}

/**
 * Email/set (RFC 8621 §4.6) setting one keyword on `emailIds` with a patch (RFC 8620 §5.3
 * `keywords/$seen`), so nothing else of the Email is touched.
 */
export function emailSetKeyword(
  accountId: string,
  emailIds: readonly string[],
  keyword: string,
): MethodCall<EmailSetResponse> {
  return {
    name: 'Email/set',
    args: {
      accountId,
      update: Object.fromEntries(emailIds.map((id) => [id, { [`keywords/${keyword}`]: true }])),
    },
    parse: (a) => {
      const updated = a.updated && typeof a.updated === 'object' ? Object.keys(a.updated) : [];
      const not =
        a.notUpdated && typeof a.notUpdated === 'object' ? (a.notUpdated as Record<string, unknown>) : {};
      return {
        newState: str(a, 'newState'),
        updated,
        notUpdated: Object.entries(not).map(([id, e]) => ({
          id,
          type:
            typeof (e as { type?: unknown })?.type === 'string' ? (e as { type: string }).type : 'unknown',
        })),
      };
    },
  };
}
