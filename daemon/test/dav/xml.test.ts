import { describe, expect, it } from 'vitest';
import { DavError } from '../../src/dav/errors';
import { parseHomeCollections } from '../../src/dav/home-propfind';
import { parseSyncResponse } from '../../src/dav/sync-collection';
import { parseMultistatus, parseStatusLine } from '../../src/dav/xml';

function davError(fn: () => unknown): DavError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DavError) return err;
    throw err;
  }
  throw new Error('expected a DavError');
}

const HOME = `<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
  <response><href>/cal/alice/</href><propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
  <response><href>http://h.example/cal/alice/work%20cal/</href>
    <propstat><prop>
      <resourcetype><collection/><c:calendar/></resourcetype><displayname>Work &amp; play</displayname>
      <sync-token>0123</sync-token><cs:getctag>7</cs:getctag>
      <c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>
    </prop><status>HTTP/1.1 200 OK</status></propstat>
    <propstat><prop><owner/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
  </response>
  <response><href>/cal/alice/todo/</href><propstat><prop>
      <resourcetype><collection/><c:calendar/></resourcetype>
      <c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set>
  </prop><status>HTTP/1.1 200 OK</status></propstat></response>
  <response><href>/cal/alice/inbox/</href><propstat><prop><resourcetype><collection/><c:schedule-inbox/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>`;

describe('home PROPFIND parsing (RFC 4918 §9.1, RFC 6578 §4)', () => {
  it('finds calendars and task lists, keeps opaque tokens as strings, skips the home and inboxes', () => {
    const base = new URL('http://h.example/cal/alice/');
    const cols = parseHomeCollections(parseMultistatus(HOME), base);
    expect(cols).toEqual([
      { href: '/cal/alice/work%20cal/', name: 'Work & play', type: 'calendar', syncToken: '0123', ctag: '7' },
      { href: '/cal/alice/todo/', name: 'todo', type: 'tasks' },
    ]);
  });
});

describe('sync-collection parsing (RFC 6578 §3.5)', () => {
  const base = new URL('http://h/cal/alice/work/');
  it('splits changed members from 404 removals and reads the new token', () => {
    const xml = `<d:multistatus xmlns:d="DAV:">
      <d:response><d:href>/cal/alice/work/a.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
      <d:response><d:href>/cal/alice/work/b.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
      <d:sync-token>http://x/sync/9</d:sync-token></d:multistatus>`;
    expect(parseSyncResponse(parseMultistatus(xml), base)).toEqual({
      token: 'http://x/sync/9',
      changed: [{ href: '/cal/alice/work/a.ics', etag: '"1"' }],
      removed: ['/cal/alice/work/b.ics'],
      truncated: false,
    });
  });

  it('sees a 507 on the collection itself as a truncated result (§3.6)', () => {
    const xml = `<multistatus xmlns="DAV:"><response><href>/cal/alice/work/</href><status>HTTP/1.1 507 Insufficient Storage</status></response><sync-token>t2</sync-token></multistatus>`;
    expect(parseSyncResponse(parseMultistatus(xml), base).truncated).toBe(true);
  });

  it('removals as servers write them: sabre/dav 404 with a 418 propstat, 410 Gone; a 404 propstat is no removal', () => {
    const xml =
      '<d:multistatus xmlns:d="DAV:">' +
      '<d:response><d:href>/cal/alice/work/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status>' +
      "<d:propstat><d:prop/><d:status>HTTP/1.1 418 I'm a teapot</d:status></d:propstat></d:response>" +
      '<d:response><d:href>/cal/alice/work/old.ics</d:href><d:status>HTTP/1.1 410 Gone</d:status></d:response>' +
      '<d:response><d:href>/cal/alice/work/kept.ics</d:href>' +
      '<d:propstat><d:prop><d:resourcetype/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>' +
      '<d:propstat><d:prop><d:getetag> W/"k1" </d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>' +
      '</d:response><d:sync-token>t9</d:sync-token></d:multistatus>';
    expect(parseSyncResponse(parseMultistatus(xml), base)).toEqual({
      token: 't9',
      changed: [{ href: '/cal/alice/work/kept.ics', etag: '"k1"' }],
      removed: ['/cal/alice/work/gone.ics', '/cal/alice/work/old.ics'],
      truncated: false,
    });
  });

  it('reports an answer without a sync token as such (syncCollection falls back or refuses)', () => {
    expect(parseSyncResponse(parseMultistatus('<multistatus xmlns="DAV:"/>'), base)).toEqual({
      token: undefined,
      changed: [],
      removed: [],
      truncated: false,
    });
  });
});

describe('hostile and broken XML', () => {
  it('refuses entity expansion (billion laughs) before parsing', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><multistatus xmlns="DAV:"><response><href>&lol2;</href></response></multistatus>`;
    const err = davError(() => parseMultistatus(lol, { url: 'http://h/x' }));
    expect(err.code).toBe('DAV_ERR_XML_HOSTILE');
    expect(err.context.url).toBe('http://h/x');
  });

  it('refuses external entities', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><multistatus xmlns="DAV:">&x;</multistatus>`;
    expect(davError(() => parseMultistatus(xxe)).code).toBe('DAV_ERR_XML_HOSTILE');
  });

  it('refuses a truncated multistatus instead of reading it as empty', () => {
    const err = davError(() => parseMultistatus('<multistatus xmlns="DAV:"><response><href>/a</href>'));
    expect(err.code).toBe('DAV_ERR_XML_MALFORMED');
  });

  it('refuses well-formed XML that is not a multistatus, and a response without href', () => {
    expect(davError(() => parseMultistatus('<html><body>login</body></html>')).code).toBe(
      'DAV_ERR_BAD_MULTISTATUS',
    );
    const noHref =
      '<multistatus xmlns="DAV:"><response><status>HTTP/1.1 200 OK</status></response></multistatus>';
    expect(davError(() => parseMultistatus(noHref)).message).toMatch(/without DAV:href/);
  });

  it('reads status lines', () => {
    expect(parseStatusLine('HTTP/1.1 404 Not Found')).toBe(404);
    expect(parseStatusLine(' HTTP/2 507 x')).toBe(507);
    expect(parseStatusLine('garbage')).toBeUndefined();
  });
});
