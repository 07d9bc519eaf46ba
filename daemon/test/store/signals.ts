import type { ChangeSignal } from '../../src/signal';

/** A mail signal with one added item; `n` makes ids and titles distinct. */
export function mailSignal(accountId: string, n: number, folderId = 'inbox'): ChangeSignal {
  return {
    id: `${accountId}:${folderId}:${n}`,
    accountId,
    source: 'eas',
    collection: 'mail',
    folder: { id: folderId, name: folderId === 'inbox' ? 'Inbox' : folderId },
    added: [{ id: `m${n}`, title: `Subject ${n}`, from: 'Alice <alice@example.org>' }],
    changed: [],
    removed: [],
    observedAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  };
}
