import { describe, expect, it } from 'vitest';
import { featuresOf, listenMode } from '../../src/imap/capabilities';
import { notifySetArgs, statusMailbox } from '../../src/imap/commands/notify';
import { parseVanished } from '../../src/imap/commands/vanished';
import { parseFlagsFetch } from '../../src/imap/commands/flag-changes';
import { ImapError, toImapError } from '../../src/imap/errors';

describe('toImapError: imapflow and node failures get a stable code and the server text', () => {
  const cases: [string, unknown, string][] = [
    ['refused login', { message: 'Authentication failed.', authenticationFailed: true }, 'IMAP_ERR_AUTH'],
    [
      'NO [AUTHENTICATIONFAILED]',
      { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'AUTHENTICATIONFAILED' },
      'IMAP_ERR_AUTH',
    ],
    [
      'STATUS of a missing mailbox (imapflow LISTs, then NotFound)',
      { message: "Mailbox doesn't exist: X", code: 'NotFound' },
      'IMAP_ERR_NO_MAILBOX',
    ],
    [
      'NO [NONEXISTENT]',
      { message: 'Command failed', responseStatus: 'NO', serverResponseCode: 'NONEXISTENT' },
      'IMAP_ERR_NO_MAILBOX',
    ],
    ['literal cap', { message: 'Literal size 9 exceeds', code: 'LiteralTooLarge' }, 'IMAP_ERR_TOO_LARGE'],
    [
      'unknown CA',
      { message: 'self-signed certificate in certificate chain', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
      'IMAP_ERR_TLS',
    ],
    [
      'wrong host name',
      { message: 'Hostname/IP does not match', code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      'IMAP_ERR_TLS',
    ],
    ['connect timeout', { message: 'Timeout', code: 'CONNECT_TIMEOUT' }, 'IMAP_ERR_TIMEOUT'],
    ['refused', { message: 'connect ECONNREFUSED 127.0.0.1:993', code: 'ECONNREFUSED' }, 'IMAP_ERR_NETWORK'],
    ['closed', { message: 'Connection not available', code: 'NoConnection' }, 'IMAP_ERR_NETWORK'],
    [
      'BAD',
      { message: 'Command failed', responseStatus: 'BAD', responseText: 'Unknown command' },
      'IMAP_ERR_COMMAND',
    ],
    ['anything else', { message: 'weird' }, 'IMAP_ERR_PROTOCOL'],
  ];
  for (const [what, err, code] of cases)
    it(what, () => {
      const e = toImapError(err, { command: 'STATUS', mailbox: 'X' });
      expect(e).toBeInstanceOf(ImapError);
      expect(e.code).toBe(code);
      expect(e.context).toMatchObject({ command: 'STATUS', mailbox: 'X' });
      expect(e.cause).toBe(err);
    });

  it('keeps the server text and status', () => {
    const e = toImapError(
      { message: 'Command failed', responseStatus: 'NO', responseText: 'Over quota' },
      { command: 'APPEND' },
    );
    expect(e.message).toBe('APPEND failed: NO Over quota');
    expect(e.context).toMatchObject({ status: 'NO', serverText: 'Over quota' });
    expect(e.transient).toBe(true);
    expect(toImapError({ authenticationFailed: true, message: 'x' }).transient).toBe(false);
  });

  it('an ImapError passes through unchanged', () => {
    const e = new ImapError('IMAP_ERR_CONFIG', 'x');
    expect(toImapError(e)).toBe(e);
  });
});

describe('capabilities', () => {
  it('NOTIFY, IDLE, CONDSTORE/QRESYNC and the preview flavours', () => {
    expect(featuresOf(['IMAP4rev1', 'IDLE', 'NOTIFY', 'QRESYNC', 'PREVIEW', 'SNIPPET=FUZZY'])).toEqual({
      notify: true,
      idle: true,
      condstore: true,
      qresync: true,
      preview: 'PREVIEW',
    });
    expect(featuresOf(['IMAP4rev1', 'snippet=fuzzy', 'CONDSTORE'])).toMatchObject({
      preview: 'SNIPPET',
      condstore: true,
      qresync: false,
    });
    expect(listenMode(featuresOf(['NOTIFY']), 3)).toBe('NOTIFY on 3 mailboxes');
    expect(listenMode(featuresOf(['IDLE']), 1)).toBe('IDLE on INBOX');
    expect(listenMode(featuresOf([]), 2)).toBe('polling 2 mailboxes (no IDLE)');
  });
});

describe('NOTIFY SET (RFC 5465)', () => {
  const text = (t: unknown): string =>
    Array.isArray(t)
      ? `(${t.map(text).join(' ')})`
      : (t as { type: string; value: string }).type === 'STRING'
        ? `"${(t as { value: string }).value}"`
        : (t as { value: string }).value;

  it('selected mailbox with flags, every watched one with new/expunged mail and renames', () => {
    expect(notifySetArgs(['INBOX', 'Lists/dev']).map(text).join(' ')).toBe(
      'SET (SELECTED (MessageNew MessageExpunge FlagChange)) (MAILBOXES ("INBOX" "Lists/dev") (MessageNew MessageExpunge FlagChange MailboxName))',
    );
    expect(notifySetArgs([]).map(text).join(' ')).toBe(
      'SET (SELECTED (MessageNew MessageExpunge FlagChange))',
    );
  });

  it('reads the mailbox of an unsolicited STATUS', () => {
    expect(statusMailbox({ command: 'STATUS', attributes: [{ type: 'STRING', value: 'Lists' }, []] })).toBe(
      'Lists',
    );
  });
});

describe('VANISHED (RFC 7162)', () => {
  it('reads (EARLIER) sets, capped before expanding', () => {
    const earlier = {
      command: 'VANISHED',
      attributes: [[{ type: 'ATOM', value: 'EARLIER' }], { type: 'ATOM', value: '3:5,9' }],
    };
    expect(parseVanished(earlier)).toEqual([3, 4, 5, 9]);
    expect(parseVanished({ command: 'VANISHED', attributes: [{ type: 'ATOM', value: '7' }] })).toEqual([7]);
    expect(() =>
      parseVanished({ command: 'VANISHED', attributes: [{ type: 'ATOM', value: '1:4294967295' }] }, 1000),
    ).toThrow(RangeError);
  });
});

describe('CHANGEDSINCE flags (RFC 7162 §3.1.4)', () => {
  it('reads UID and FLAGS of a FETCH answer; one without them is skipped', () => {
    const atom = (value: string) => ({ type: 'ATOM', value });
    expect(
      parseFlagsFetch({
        command: '4',
        attributes: [
          atom('FETCH'),
          [
            atom('UID'),
            atom('21'),
            atom('FLAGS'),
            [atom('\\Seen'), atom('$Label1')],
            atom('MODSEQ'),
            [atom('9')],
          ],
        ],
      }),
    ).toEqual({ uid: 21, flags: new Set(['\\Seen', '$Label1']) });
    expect(
      parseFlagsFetch({ command: '4', attributes: [atom('FETCH'), [atom('UID'), atom('21')]] }),
    ).toBeUndefined();
  });
});
