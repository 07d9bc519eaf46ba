import type { Collection } from './signal';

const KIND: Record<Collection, string> = {
  mail: 'mail',
  calendar: 'calendar',
  contacts: 'contacts',
  tasks: 'tasks',
};

/**
 * Names of folders as a person reads them in a list: a name that two folders share (SOGo's
 * "Personal Calendar" is both a calendar and a task list) gets its kind after it —
 * "Personal Calendar (tasks)" — so the two can be told apart (issue 16). Unique names stay bare.
 */
export function folderLabels<T extends { name: string; collection: Collection }>(
  folders: readonly T[],
): string[] {
  const count = new Map<string, number>();
  for (const f of folders) count.set(f.name, (count.get(f.name) ?? 0) + 1);
  return folders.map((f) => ((count.get(f.name) ?? 0) > 1 ? `${f.name} (${KIND[f.collection]})` : f.name));
}
