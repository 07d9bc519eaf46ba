import { StoreError } from './errors';

/**
 * Serialises one account value for storage. Both stores keep JSON text, not live objects, so a
 * caller never mutates stored state by accident and the memory store fails exactly where the
 * SQLite one would. `undefined` means "delete".
 */
export function encodeValue(accountId: string, key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new StoreError(
      'STORE_ERR_VALUE',
      `cannot store ${accountId}/${key}: value is not JSON`,
      { accountId, key },
      { cause },
    );
  }
  if (text === undefined) {
    throw new StoreError('STORE_ERR_VALUE', `cannot store ${accountId}/${key}: ${typeof value} is not JSON`, {
      accountId,
      key,
    });
  }
  return text;
}
