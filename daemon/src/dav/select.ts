import type { DavCollection } from './collection';

/** The account kinds a collection type belongs to: a caldav account never announces contacts. */
const KIND_OF: Record<DavCollection['type'], 'caldav' | 'carddav'> = {
  calendar: 'caldav',
  tasks: 'caldav',
  contacts: 'carddav',
};

/**
 * Pure: which of the found collections to watch. Only those of the account's kind: servers such
 * as SOGo, Nextcloud and Baïkal-style set-ups may keep calendars and address books under one
 * home, and a caldav plus a carddav account on it must not both announce every change (issue 14).
 * A configured list matches hrefs or display names; without one: calendars and task lists the
 * user owns (DAV:owner is the principal, or no owner is reported) and every address book. A
 * discovery URL that named one collection watches it.
 */
export function selectCollections(
  all: readonly DavCollection[],
  opts: {
    kind?: 'caldav' | 'carddav';
    configured?: readonly string[];
    principal?: string;
    onlyCollection?: string;
  },
): DavCollection[] {
  const found = opts.kind === undefined ? all : all.filter((c) => KIND_OF[c.type] === opts.kind);
  if (opts.configured && opts.configured.length > 0) {
    const wanted = new Set(opts.configured.map((s) => s.trim()));
    return found.filter(
      (c) =>
        wanted.has(c.name) ||
        wanted.has(c.href) ||
        wanted.has(c.href.replace(/\/$/, '')) ||
        matchesUrl(wanted, c.href),
    );
  }
  if (opts.onlyCollection) return found.filter((c) => c.href === opts.onlyCollection);
  return found.filter(
    (c) =>
      c.type === 'contacts' ||
      c.owner === undefined ||
      opts.principal === undefined ||
      c.owner === opts.principal,
  );
}

function matchesUrl(wanted: ReadonlySet<string>, href: string): boolean {
  for (const w of wanted) {
    if (!/^https?:\/\//.test(w)) continue;
    const path = new URL(w).pathname;
    if (path === href || `${path}/` === href) return true;
  }
  return false;
}
