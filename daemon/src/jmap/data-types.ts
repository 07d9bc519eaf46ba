import type { Collection, EventKind, ItemSummary } from '../signal';
import { eventTimes } from './jscalendar';
import type { JmapSession } from './session';

/** JMAP for Calendars (draft-ietf-jmap-calendars): Calendar and CalendarEvent. */
export const CAP_CALENDARS = 'urn:ietf:params:jmap:calendars';
/** JMAP for Contacts (RFC 9610): AddressBook and ContactCard (JSContact, RFC 9553). */
export const CAP_CONTACTS = 'urn:ietf:params:jmap:contacts';
/**
 * Cyrus 3.6's own namespaces (imap/jmap_api.h JMAP_CALENDARS_EXTENSION / JMAP_CONTACTS_EXTENSION),
 * offered with `jmap_nonstandard_extensions: yes`: CalendarEvent with a single `calendarId`, and
 * Contact (firstName, lastName, emails as a list) with a single `addressbookId` and no
 * AddressBook type.
 */
export const CAP_CYRUS_CALENDARS = 'https://cyrusimap.org/ns/jmap/calendars';
export const CAP_CYRUS_CONTACTS = 'https://cyrusimap.org/ns/jmap/contacts';

/** What the summaries need to know of the user. */
export interface SummaryContext {
  /** The user's own addresses, lower case: an event asking one of them to answer is an invitation. */
  self: ReadonlySet<string>;
}

/**
 * One watched data type as a server offers it: the methods, the small property list, where an
 * item's container (calendar, address book) is, and how an item reads in a signal.
 */
export interface TypeSpec {
  /** Stable key in the stored states ("calendars", "cyrus-contacts", …). */
  key: string;
  capability: string;
  collection: Extract<Collection, 'calendar' | 'contacts'>;
  /** The item type: /changes and /get are `${type}/changes`, `${type}/get`. */
  type: string;
  /** The container type (Calendar, AddressBook) with `name`, or undefined when there is none. */
  containerType?: string;
  /**
   * The properties asked of /get. Exactly those the server knows: Cyrus answers invalidArguments
   * for a property it does not have (checked against Cyrus 3.6).
   */
  properties: readonly string[];
  /** The folder shown for a container a server does not name, and for items of no known one. */
  folderName: string;
  /** The container ids an item is in. */
  containers(o: Record<string, unknown>): string[];
  /** The item as a signal shows it; `created` tells a new item from a changed one. */
  summary(o: Record<string, unknown>, created: boolean, ctx: SummaryContext): ItemSummary;
}

/** Cuts a server string to a size a notification can hold. */
function bounded(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** `Id[Boolean]` set (RFC 8620 §1.4 style maps): the ids set to true. */
function idSet(v: unknown): string[] {
  const r = record(v);
  return r
    ? Object.entries(r)
        .filter(([, on]) => on === true)
        .map(([id]) => id)
    : [];
}

function single(v: unknown): string[] {
  return typeof v === 'string' && v !== '' ? [v] : [];
}

/** "mailto:a@b" → "a@b" (JSCalendar sendTo / replyTo `imip`, RFC 8984 §4.4.3). */
function mailto(v: unknown): string | undefined {
  const s = bounded(v, 200);
  return s?.toLowerCase().startsWith('mailto:') ? s.slice(7) : s;
}

function person(name: string | undefined, address: string | undefined): string | undefined {
  if (name && address && name.toLowerCase() !== address.toLowerCase()) return `${name} <${address}>`;
  return name ?? address;
}

interface Participant {
  name?: string;
  address?: string;
  owner: boolean;
  needsAnswer: boolean;
}

/** RFC 8984 §4.4.6 participants: name, address (email or sendTo.imip), roles, partstat. */
function participants(o: Record<string, unknown>): Participant[] {
  const out: Participant[] = [];
  for (const v of Object.values(record(o.participants) ?? {})) {
    const p = record(v);
    if (!p) continue;
    const roles = record(p.roles) ?? {};
    const address = bounded(p.email, 200) ?? mailto(record(p.sendTo)?.imip);
    const name = bounded(p.name, 100);
    out.push({
      ...(name ? { name } : {}),
      ...(address ? { address } : {}),
      owner: roles.owner === true,
      // participationStatus defaults to needs-action (RFC 8984 §4.4.6); expectReply asks for one.
      needsAnswer:
        (p.participationStatus === undefined || p.participationStatus === 'needs-action') &&
        (p.expectReply === true || p.participationStatus === 'needs-action'),
    });
  }
  return out;
}

/**
 * How a person would name the change (the same words EAS and DAV use):
 * - status cancelled (RFC 8984 §5.1.3) → cancelled;
 * - new, and one of the user's addresses is a participant, not the owner, who is asked to
 *   answer → invitation;
 * - new → new; otherwise updated. /changes carries no earlier values, so a moved event is
 *   "updated", as EAS says it.
 */
export function eventKind(o: Record<string, unknown>, created: boolean, ctx: SummaryContext): EventKind {
  if (o.status === 'cancelled') return 'cancelled';
  if (!created) return 'updated';
  const invited = participants(o).some(
    (p) => !p.owner && p.needsAnswer && p.address !== undefined && ctx.self.has(p.address.toLowerCase()),
  );
  return invited ? 'invitation' : 'new';
}

function eventSummary(o: Record<string, unknown>, created: boolean, ctx: SummaryContext): ItemSummary {
  const s: ItemSummary = { id: String(o.id) };
  const title = bounded(o.title, 300);
  if (title) s.title = title;
  Object.assign(s, eventTimes(o));
  for (const l of Object.values(record(o.locations) ?? {})) {
    const name = bounded(record(l)?.name, 200);
    if (name) {
      s.location = name;
      break;
    }
  }
  const owner = participants(o).find((p) => p.owner);
  const from = owner ? person(owner.name, owner.address) : mailto(record(o.replyTo)?.imip);
  if (from) s.from = from;
  s.kind = eventKind(o, created, ctx);
  return s;
}

/** RFC 9553 §2.2.1 name: `full`, else the given and surname components. */
function cardName(o: Record<string, unknown>): string | undefined {
  const n = record(o.name);
  if (!n) return undefined;
  const full = bounded(n.full, 200);
  if (full) return full;
  const parts = Array.isArray(n.components) ? n.components.map(record) : [];
  const pick = (kind: string) => parts.filter((c) => c?.kind === kind).map((c) => bounded(c?.value, 100));
  const name = [...pick('given'), ...pick('surname')].filter(Boolean).join(' ');
  return name || undefined;
}

function cardSummary(o: Record<string, unknown>): ItemSummary {
  const s: ItemSummary = { id: String(o.id) };
  const firstEmail = Object.values(record(o.emails) ?? {})
    .map((e) => bounded(record(e)?.address, 200))
    .find(Boolean);
  const title = cardName(o) ?? firstEmail;
  if (title) s.title = title;
  return s;
}

function cyrusContactSummary(o: Record<string, unknown>): ItemSummary {
  const s: ItemSummary = { id: String(o.id) };
  const name = [bounded(o.firstName, 100), bounded(o.lastName, 100)].filter(Boolean).join(' ');
  const email = Array.isArray(o.emails)
    ? o.emails.map((e) => bounded(record(e)?.value, 200)).find(Boolean)
    : undefined;
  const title = name || bounded(o.company, 200) || email;
  if (title) s.title = title;
  return s;
}

const EVENT_PROPERTIES = [
  'id',
  'title',
  'start',
  'duration',
  'timeZone',
  'showWithoutTime',
  'status',
  'locations',
  'participants',
  'replyTo',
  'updated',
] as const;

/** Every type the daemon can watch, the IETF ones first: a server offering both gets those. */
export const TYPE_SPECS: readonly TypeSpec[] = [
  {
    key: 'calendars',
    capability: CAP_CALENDARS,
    collection: 'calendar',
    type: 'CalendarEvent',
    containerType: 'Calendar',
    properties: [...EVENT_PROPERTIES, 'calendarIds'],
    folderName: 'Calendar',
    containers: (o) => idSet(o.calendarIds),
    summary: eventSummary,
  },
  {
    key: 'cyrus-calendars',
    capability: CAP_CYRUS_CALENDARS,
    collection: 'calendar',
    type: 'CalendarEvent',
    containerType: 'Calendar',
    properties: [...EVENT_PROPERTIES, 'calendarId'],
    folderName: 'Calendar',
    containers: (o) => single(o.calendarId),
    summary: eventSummary,
  },
  {
    key: 'contacts',
    capability: CAP_CONTACTS,
    collection: 'contacts',
    type: 'ContactCard',
    containerType: 'AddressBook',
    properties: ['id', 'addressBookIds', 'name', 'emails'],
    folderName: 'Contacts',
    containers: (o) => idSet(o.addressBookIds),
    summary: (o) => cardSummary(o),
  },
  {
    key: 'cyrus-contacts',
    capability: CAP_CYRUS_CONTACTS,
    collection: 'contacts',
    type: 'Contact',
    properties: ['id', 'addressbookId', 'firstName', 'lastName', 'company', 'emails'],
    folderName: 'Contacts',
    containers: (o) => single(o.addressbookId),
    summary: (o) => cyrusContactSummary(o),
  },
];

/**
 * The types this session offers on the mail account, one per collection (the IETF capability
 * where a server offers both). Only the mail account's: push (StateChange) and the stored
 * states are per account, and the daemon follows one. A capability the server names but the
 * mail account lacks (Cyrus lists primaryAccounts for namespaces it does not enable) is skipped.
 */
export function sessionTypes(session: JmapSession): TypeSpec[] {
  const caps = new Set(session.capabilities ?? []);
  const mine = new Set(session.accountCapabilities ?? []);
  const out: TypeSpec[] = [];
  for (const spec of TYPE_SPECS) {
    if (out.some((s) => s.collection === spec.collection)) continue;
    if (!caps.has(spec.capability) || !mine.has(spec.capability)) continue;
    const primary = session.primaryAccounts?.[spec.capability];
    if (primary !== undefined && primary !== session.accountId) continue;
    out.push(spec);
  }
  return out;
}

/** The data types a push channel must name for these specs (EventSource `types`, WebSocket `dataTypes`). */
export function pushTypesFor(specs: readonly TypeSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    out.push(s.type);
    if (s.containerType) out.push(s.containerType);
  }
  return out;
}
