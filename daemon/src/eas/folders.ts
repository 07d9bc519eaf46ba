import type { Collection } from '../signal';

/** A folder of the FolderSync hierarchy (MS-ASCMD 2.2.1.5). */
export interface EasFolder {
  id: string;
  parentId: string;
  name: string;
  /** MS-ASCMD 2.2.3.186.3 folder type. */
  type: number;
}

/** Changes one FolderSync round reported. */
export interface HierarchyChanges {
  added: EasFolder[];
  updated: EasFolder[];
  deleted: string[];
}

/** Folder type → collection (MS-ASCMD 2.2.3.186.3); types absent here are not watched. */
const TYPE_COLLECTION: Record<number, Collection> = {
  1: 'mail', // user-created generic folder: holds mail on Exchange
  2: 'mail', // Inbox
  7: 'tasks',
  8: 'calendar',
  9: 'contacts',
  12: 'mail',
  13: 'calendar',
  14: 'contacts',
  15: 'tasks',
};

/** Default folders watched when the account names none: Inbox, Calendar, Contacts, Tasks. */
const DEFAULT_TYPES = [2, 8, 9, 7];

/** The collection a folder type holds, or undefined for Drafts, Sent, Deleted, Notes … */
export function collectionOf(type: number): Collection | undefined {
  return TYPE_COLLECTION[type];
}

/** The Ping/Sync `Class` of a collection (MS-ASCMD 2.2.3.27.4). */
export function classOf(collection: Collection): 'Email' | 'Calendar' | 'Contacts' | 'Tasks' {
  switch (collection) {
    case 'mail':
      return 'Email';
    case 'calendar':
      return 'Calendar';
    case 'contacts':
      return 'Contacts';
    case 'tasks':
      return 'Tasks';
  }
}

/** Applies one FolderSync round to the stored hierarchy (adds, renames/moves, deletes). */
export function applyHierarchy(folders: readonly EasFolder[], changes: HierarchyChanges): EasFolder[] {
  const byId = new Map(folders.map((f) => [f.id, f]));
  for (const f of changes.added) byId.set(f.id, f);
  for (const f of changes.updated) byId.set(f.id, f);
  for (const id of changes.deleted) byId.delete(id);
  return [...byId.values()];
}

/**
 * Ping priority (issue #3): default folders first in the order Inbox, Calendar, Contacts, Tasks,
 * then user folders by name. Used when the server's MaxFolders forces a trim (Ping Status 6).
 */
function rank(f: EasFolder): number {
  const i = DEFAULT_TYPES.indexOf(f.type);
  return i === -1 ? DEFAULT_TYPES.length : i;
}

/**
 * The folders to watch: those the account names (display name or server id, case-insensitive)
 * or the default ones, sorted by Ping priority and trimmed to `maxFolders`.
 */
export function watchedFolders(
  folders: readonly EasFolder[],
  wanted: readonly string[] | undefined,
  maxFolders?: number,
): EasFolder[] {
  const pick =
    wanted && wanted.length > 0
      ? folders.filter((f) => wanted.some((w) => w === f.id || w.toLowerCase() === f.name.toLowerCase()))
      : folders.filter((f) => DEFAULT_TYPES.includes(f.type));
  const sorted = pick
    .filter((f) => collectionOf(f.type) !== undefined)
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return maxFolders !== undefined && maxFolders > 0 ? sorted.slice(0, maxFolders) : sorted;
}
