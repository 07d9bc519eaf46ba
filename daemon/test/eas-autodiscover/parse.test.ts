import {
  poxAccountAction,
  poxActionError,
  poxRedirect,
  poxResponseError,
  poxSettings,
} from '../../../fixtures/src/autodiscover-server/responses';
import { describe, expect, it } from 'vitest';
import { AutodiscoverError } from '../../src/eas/autodiscover/errors';
import { MAX_RESPONSE_BYTES, parseJsonResponse, parsePoxResponse } from '../../src/eas/autodiscover/parse';
import { buildPoxRequest } from '../../src/eas/autodiscover/request';

function rejection(fn: () => unknown): AutodiscoverError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AutodiscoverError);
    return err as AutodiscoverError;
  }
  throw new Error('expected a rejection');
}

describe('buildPoxRequest', () => {
  it('asks for the mobilesync response schema and escapes the address', () => {
    const xml = buildPoxRequest('a&b<c>@example.com');
    expect(xml).toContain(
      '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">',
    );
    expect(xml).toContain(
      '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>',
    );
    expect(xml).toContain('<EMailAddress>a&amp;b&lt;c&gt;@example.com</EMailAddress>');
  });
});

describe('parsePoxResponse', () => {
  it('picks the MobileSync server among others and the display name', () => {
    const a = parsePoxResponse(
      poxSettings('https://eas.example.com/Microsoft-Server-ActiveSync', { displayName: 'Ann Lee' }),
    );
    expect(a).toEqual({
      kind: 'settings',
      url: 'https://eas.example.com/Microsoft-Server-ActiveSync',
      displayName: 'Ann Lee',
    });
  });

  it('decodes predefined and numeric character references in the URL', () => {
    const a = parsePoxResponse(poxSettings('https://eas.example.com/x?a=1&b=2'));
    expect(a).toEqual({ kind: 'settings', url: 'https://eas.example.com/x?a=1&b=2' });
    const numeric = poxSettings('https://eas.example.com/x?a=1QQb=2').replaceAll('QQ', '&#38;');
    expect(parsePoxResponse(numeric)).toMatchObject({ url: 'https://eas.example.com/x?a=1&b=2' });
  });

  it('reads the mobilesync Redirect and the redirectAddr / redirectUrl account actions', () => {
    expect(parsePoxResponse(poxRedirect('bob@other.example.org'))).toEqual({
      kind: 'redirect-addr',
      email: 'bob@other.example.org',
    });
    expect(parsePoxResponse(poxAccountAction('redirectAddr', 'carl@example.net'))).toEqual({
      kind: 'redirect-addr',
      email: 'carl@example.net',
    });
    expect(parsePoxResponse(poxAccountAction('redirectUrl', 'https://ad.example.net/a.xml'))).toEqual({
      kind: 'redirect-url',
      url: 'https://ad.example.net/a.xml',
    });
  });

  it('reports Action and Response errors with their codes', () => {
    expect(parsePoxResponse(poxActionError(1, 'Cannot find the e-mail address'))).toEqual({
      kind: 'error',
      message: 'Cannot find the e-mail address (code 1)',
    });
    expect(parsePoxResponse(poxResponseError(600, 'Invalid Request'))).toEqual({
      kind: 'error',
      message: 'Invalid Request (code 600)',
    });
  });

  it('refuses a billion-laughs document before expanding anything', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Autodiscover><Response><Action><Redirect>&lol2;</Redirect></Action></Response></Autodiscover>`;
    const err = rejection(() => parsePoxResponse(laughs));
    expect(err.code).toBe('EAS_ERR_AUTODISCOVER_BAD_RESPONSE');
    expect(err.message).toMatch(/DOCTYPE/);
  });

  it('refuses an external-entity (XXE) document', () => {
    const xxe = `<!doctype r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover><Response>&x;</Response></Autodiscover>`;
    expect(rejection(() => parsePoxResponse(xxe)).code).toBe('EAS_ERR_AUTODISCOVER_BAD_RESPONSE');
  });

  it('accepts a document at the size cap and refuses one byte over', () => {
    const base = poxSettings('https://eas.example.com/Microsoft-Server-ActiveSync');
    const pad = (n: number) => base.replace('<Culture>', `<!--${'x'.repeat(n)}--><Culture>`);
    const overhead = Buffer.byteLength(pad(0));
    expect(parsePoxResponse(pad(MAX_RESPONSE_BYTES - overhead)).kind).toBe('settings');
    const err = rejection(() => parsePoxResponse(pad(MAX_RESPONSE_BYTES - overhead + 1)));
    expect(err.message).toMatch(/larger than/);
  });

  it('refuses malformed XML, foreign documents and answers without a MobileSync server', () => {
    expect(rejection(() => parsePoxResponse('<Autodiscover><Response>')).code).toBe(
      'EAS_ERR_AUTODISCOVER_BAD_RESPONSE',
    );
    expect(rejection(() => parsePoxResponse('<html><body>Welcome</body></html>')).message).toMatch(
      /no Autodiscover\/Response/,
    );
    const ewsOnly = poxSettings('https://x').replace('<Type>MobileSync</Type>', '<Type>EXCH</Type>');
    expect(rejection(() => parsePoxResponse(ewsOnly)).message).toMatch(/no MobileSync server/);
  });
});

describe('parseJsonResponse', () => {
  it('reads the ActiveSync URL and the error form', () => {
    expect(
      parseJsonResponse(
        '{"Protocol":"ActiveSync","Url":"https://outlook.office365.com/Microsoft-Server-ActiveSync"}',
      ),
    ).toEqual({ kind: 'settings', url: 'https://outlook.office365.com/Microsoft-Server-ActiveSync' });
    expect(parseJsonResponse('{"ErrorCode":"UserNotFound","ErrorMessage":"No user"}')).toEqual({
      kind: 'error',
      message: 'No user (UserNotFound)',
    });
  });

  it('refuses non-JSON and JSON without a URL', () => {
    expect(rejection(() => parseJsonResponse('<html>')).message).toMatch(/not JSON/);
    expect(rejection(() => parseJsonResponse('{"Protocol":"Ews","Url":"https://x"}')).message).toMatch(
      /no ActiveSync URL/,
    );
    expect(rejection(() => parseJsonResponse('[1]')).message).toMatch(/not an object/);
  });
});
