import type { Collection } from '../signal';

/** A calendar, task list or address book as a home PROPFIND reports it. */
export interface DavCollection {
  /** Canonical path with trailing slash; the collection's id in signals and state. */
  href: string;
  name: string;
  type: Extract<Collection, 'calendar' | 'tasks' | 'contacts'>;
  /** RFC 6578 §4: present exactly when the collection supports REPORT sync-collection. */
  syncToken?: string;
  /** calendarserver.org getctag: changes with every member change; used when there is no token. */
  ctag?: string;
  /** DAV:owner href (RFC 3744 §5.1), to tell own collections from shared ones. */
  owner?: string;
  /** WebDAV-Push (draft): the collection's topic when it offers the web-push transport. */
  pushTopic?: string;
  /** Server `Date` of the listing that reported these markers, ms (see second-token.ts). */
  listedAt?: number;
}
