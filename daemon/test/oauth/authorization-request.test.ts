import { describe, expect, it } from 'vitest';
import { buildAuthorizeUrl, readAuthorizationResponse } from '../../src/oauth/authorization-request';
import { OAuthError } from '../../src/oauth/errors';

function thrown(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    return err as OAuthError;
  }
  throw new Error('expected an OAuthError');
}

describe('buildAuthorizeUrl', () => {
  it('asks for a code with an S256 challenge, the loopback redirect and the state', () => {
    const url = new URL(
      buildAuthorizeUrl({
        authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        clientId: 'cid',
        redirectUri: 'http://127.0.0.1:5555/',
        scope: 'https://outlook.office.com/EAS.AccessAsUser.All offline_access',
        state: 'st',
        codeChallenge: 'ch',
        loginHint: 'ann@example.com',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cid',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:5555/',
      response_mode: 'query',
      scope: 'https://outlook.office.com/EAS.AccessAsUser.All offline_access',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      login_hint: 'ann@example.com',
    });
  });
});

describe('readAuthorizationResponse', () => {
  it('returns the code when the state matches', () => {
    expect(readAuthorizationResponse(new URLSearchParams('code=abc&state=s1'), 's1')).toBe('abc');
  });

  it('rejects a missing, foreign or prefixed state before looking at anything else', () => {
    for (const q of [
      'code=abc',
      'code=abc&state=s2',
      'code=abc&state=s1x',
      'error=access_denied&state=evil',
    ]) {
      const err = thrown(() => readAuthorizationResponse(new URLSearchParams(q), 's1'));
      expect(err.code, q).toBe('EAS_ERR_OAUTH_STATE_MISMATCH');
      expect(err.message).not.toContain('abc');
    }
  });

  it('maps access_denied and other errors, keeping only the first line of the description', () => {
    const denied = thrown(() =>
      readAuthorizationResponse(
        new URLSearchParams('error=access_denied&error_description=No%0ATrace+ID&state=s'),
        's',
      ),
    );
    expect(denied.code).toBe('EAS_ERR_OAUTH_ACCESS_DENIED');
    expect(denied.message).toBe('authorization endpoint: access_denied (No)');
    const other = thrown(() =>
      readAuthorizationResponse(new URLSearchParams('error=invalid_scope&state=s'), 's'),
    );
    expect(other).toMatchObject({ code: 'EAS_ERR_OAUTH_AUTHORIZE', oauthError: 'invalid_scope' });
    const none = thrown(() => readAuthorizationResponse(new URLSearchParams('state=s'), 's'));
    expect(none.code).toBe('EAS_ERR_OAUTH_BAD_RESPONSE');
  });
});
