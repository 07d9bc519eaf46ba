import type { Dispatcher } from 'undici';
import type { DavAccount } from '../config/account';
import type { DavCollection } from '../dav/collection';
import { type DiscoveryDns, discover, systemDns } from '../dav/discovery';
import { DavError } from '../dav/errors';
import { propfindHome } from '../dav/home-propfind';
import { compose, createTransport } from '../dav/request';
import { selectCollections } from '../dav/select';
import { withBasicAuth, withRedirects, withStatusErrors } from '../dav/wrappers';
import { folderLabels } from '../folder-labels';
import type { TestResult } from '../ipc/protocol';
import type { SecretSource } from '../secrets/types';

type Step = TestResult['steps'][number];

const LABEL = { caldav: 'CalDAV', carddav: 'CardDAV' } as const;
const WHAT = { caldav: 'calendars or task lists', carddav: 'address books' } as const;

/**
 * Why an account's `url` cannot work, before any request: RFC 6764 discovery starts from an
 * http(s) URL, an e-mail address or a domain; anything else (`ftp://…`, `calendar`) is refused.
 * Undefined when it can be tried.
 */
export function davUrlProblem(url: string, kind: DavAccount['kind']): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      new URL(url);
      return undefined;
    } catch {
      return `"${url}" is not a valid URL`;
    }
  }
  if (scheme !== undefined && url.slice(scheme.length + 1).startsWith('//'))
    return `"${url}" is a ${scheme}: URL; ${LABEL[kind]} runs over http(s): give the https:// URL of the server, or your e-mail address`;
  const domain = url.slice(url.lastIndexOf('@') + 1).trim();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(domain))
    return `"${url}" is neither an http(s) URL nor an e-mail address or domain to discover the ${LABEL[kind]} server from`;
  return undefined;
}

export interface DavSetupOptions {
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** DNS SRV/TXT for RFC 6764 discovery from an e-mail address; the system's by default. */
  dns?: DiscoveryDns;
}

/**
 * The set-up checks of a CalDAV/CardDAV account, as the watcher will run them: RFC 6764
 * discovery from the `url` (an e-mail address, a server, a home or one collection), then the
 * homes' listing — every calendar, task list or address book found, and which are watched, as
 * DAVx5 shows them at set-up. Fails with a fix when nothing usable is found.
 */
export async function davSetupSteps(
  account: DavAccount,
  secret: SecretSource,
  o: DavSetupOptions,
): Promise<Step[]> {
  const kind = account.kind;
  const problem = davUrlProblem(account.url, kind);
  if (problem)
    return [
      {
        name: 'discovery',
        ok: false,
        note: problem,
        fix: `give the ${LABEL[kind]} server's https:// URL, or your e-mail address to discover it (RFC 6764)`,
      },
    ];
  const send = compose(
    createTransport({ dispatcher: o.dispatcher, timeoutMs: o.timeoutMs }),
    withStatusErrors(),
    withRedirects(),
    withBasicAuth(account.username, () =>
      secret.get().catch((err: unknown) => {
        throw new DavError(
          'DAV_ERR_SECRET',
          (err as Error).message ?? 'Could not read the account secret',
          {},
          {
            cause: err,
          },
        );
      }),
    ),
  );
  const steps: Step[] = [];
  let disc: Awaited<ReturnType<typeof discover>>;
  try {
    disc = await discover(send, account.url, kind, o.dns ?? systemDns);
  } catch (err) {
    steps.push(failure(err, account));
    return steps;
  }
  const where = disc.onlyCollection
    ? `the collection ${disc.onlyCollection}`
    : `${disc.homes.length === 1 ? 'home' : 'homes'} ${disc.homes.join(', ')}`;
  steps.push({
    name: 'discovery',
    ok: true,
    note: `found ${where}${disc.principal ? ` (principal ${disc.principal})` : ''}`,
  });
  const found: DavCollection[] = [];
  try {
    for (const home of disc.homes) found.push(...(await propfindHome(send, new URL(home))));
  } catch (err) {
    steps.push(failure(err, account));
    return steps;
  }
  steps.push(collectionsStep(found, disc, account));
  return steps;
}

/** The listing as DAVx5 shows it: every collection, `+` watched, `-` not, and why. */
function collectionsStep(
  found: readonly DavCollection[],
  disc: { principal?: string; onlyCollection?: string },
  account: DavAccount,
): Step {
  const ofKind = found.filter((c) =>
    account.kind === 'carddav' ? c.type === 'contacts' : c.type !== 'contacts',
  );
  const watched = new Set(
    selectCollections(ofKind, {
      ...(account.collections ? { configured: account.collections } : {}),
      ...(disc.principal ? { principal: disc.principal } : {}),
      ...(disc.onlyCollection ? { onlyCollection: disc.onlyCollection } : {}),
    }).map((c) => c.href),
  );
  const labels = folderLabels(ofKind.map((c) => ({ name: c.name, collection: c.type })));
  const lines = ofKind.map((c, i) => {
    const why = watched.has(c.href)
      ? ''
      : account.collections?.length
        ? ' — not in "collections"'
        : disc.onlyCollection
          ? ' — the URL names another collection'
          : ' — shared with you; name it in "collections" to watch it';
    return `    ${watched.has(c.href) ? '+' : '-'} ${labels[i]}${why}`;
  });
  if (watched.size === 0) {
    return {
      name: 'collections',
      ok: false,
      note:
        ofKind.length === 0
          ? `no ${WHAT[account.kind]} found`
          : [`none of the ${ofKind.length} ${WHAT[account.kind]} found would be watched:`, ...lines].join(
              '\n',
            ),
      fix:
        ofKind.length === 0
          ? `create one on the server, or check that the URL is the ${LABEL[account.kind]} one of this account`
          : 'name the ones to watch in the account\'s "collections" (display names or URLs)',
    };
  }
  return {
    name: 'collections',
    ok: true,
    note: [`watching ${watched.size} of ${ofKind.length}:`, ...lines].join('\n'),
  };
}

function failure(err: unknown, account: DavAccount): Step {
  const e = err instanceof DavError ? err : undefined;
  const note = `${err instanceof Error ? err.message : String(err)}${e ? ` (${e.code})` : ''}`;
  switch (e?.code) {
    case 'DAV_ERR_UNAUTHORIZED':
    case 'DAV_ERR_FORBIDDEN':
      return {
        name: 'auth',
        ok: false,
        note,
        fix: `the server refused "${account.username}": check --username and the password`,
      };
    case 'DAV_ERR_SECRET':
      return { name: 'secret', ok: false, note, fix: 'see the note: the password could not be read' };
    case 'DAV_ERR_NETWORK':
    case 'DAV_ERR_TIMEOUT':
      return {
        name: 'discovery',
        ok: false,
        note,
        fix: 'check the URL, and that this machine reaches the server',
      };
    default:
      return {
        name: 'discovery',
        ok: false,
        note,
        fix: `give the URL of your ${LABEL[account.kind]} home or of one ${account.kind === 'caldav' ? 'calendar' : 'address book'} (your provider's set-up page names it)`,
      };
  }
}
