import { describe, expect, it } from 'vitest';
import { JmapError } from '../../src/jmap/errors';
import { parseSession, sessionUrlFor } from '../../src/jmap/session';

const base = new URL('https://mail.example.org/jmap/session');
const session = (extra: Record<string, unknown> = {}) => ({
  capabilities: {
    'urn:ietf:params:jmap:core': { maxObjectsInGet: 4096, maxCallsInRequest: 50 },
    'urn:ietf:params:jmap:mail': {},
  },
  accounts: { u1: { name: 'alice', accountCapabilities: null } },
  primaryAccounts: { 'urn:ietf:params:jmap:mail': 'u1' },
  apiUrl: '/jmap/',
  eventSourceUrl: '/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}',
  state: '0',
  ...extra,
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof JmapError ? err.code : 'not a JmapError';
  }
  return undefined;
}

describe('JMAP session (RFC 8620 §2)', () => {
  it('resolves relative URLs (Cyrus sends /jmap/) and keeps the push template intact', () => {
    const s = parseSession(session(), base);
    expect(s).toMatchObject({
      apiUrl: 'https://mail.example.org/jmap/',
      eventSourceUrl:
        'https://mail.example.org/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}',
      accountId: 'u1',
      state: '0',
      webSocketPush: false,
      maxObjectsInGet: 500,
    });
  });

  it('refuses an apiUrl, eventSourceUrl or WebSocket url on another origin: credentials stay home', () => {
    expect(code(() => parseSession(session({ apiUrl: 'https://evil.example/jmap/' }), base))).toBe(
      'JMAP_ERR_REDIRECT',
    );
    expect(code(() => parseSession(session({ eventSourceUrl: 'http://mail.example.org/es' }), base))).toBe(
      'JMAP_ERR_REDIRECT',
    );
    const ws = session();
    (ws.capabilities as Record<string, unknown>)['urn:ietf:params:jmap:websocket'] = {
      url: 'wss://other.example/jmap/ws',
      supportsPush: true,
    };
    expect(code(() => parseSession(ws, base))).toBe('JMAP_ERR_REDIRECT');
    // wss on the same host and port is the same origin as https.
    (ws.capabilities as Record<string, unknown>)['urn:ietf:params:jmap:websocket'] = {
      url: 'wss://mail.example.org/jmap/ws',
      supportsPush: true,
    };
    expect(parseSession(ws, base)).toMatchObject({
      webSocketUrl: 'wss://mail.example.org/jmap/ws',
      webSocketPush: true,
    });
  });

  it('names what is missing', () => {
    expect(code(() => parseSession('<html>', base))).toBe('JMAP_ERR_SESSION');
    const noMail = session();
    delete (noMail.capabilities as Record<string, unknown>)['urn:ietf:params:jmap:mail'];
    expect(code(() => parseSession(noMail, base))).toBe('JMAP_ERR_SESSION');
    expect(code(() => parseSession(session({ primaryAccounts: {} }), base))).toBe('JMAP_ERR_FORBIDDEN');
    expect(code(() => parseSession(session({ apiUrl: undefined }), base))).toBe('JMAP_ERR_SESSION');
  });

  it('reads a bare origin as /.well-known/jmap and anything with a path as the session URL', () => {
    expect(sessionUrlFor('https://mail.example.org').href).toBe('https://mail.example.org/.well-known/jmap');
    expect(sessionUrlFor('https://api.fastmail.com/jmap/session').href).toBe(
      'https://api.fastmail.com/jmap/session',
    );
    expect(code(() => sessionUrlFor('ftp://x.example/'))).toBe('JMAP_ERR_CONFIG');
  });
});
