import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/oauth/errors';
import { parseTokenResponse } from '../../src/oauth/token-endpoint';

function thrown(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    return err as OAuthError;
  }
  throw new Error('expected an OAuthError');
}

const ok = (v: unknown) => ({ status: 200, body: JSON.stringify(v) });
const fail = (status: number, v: unknown) => ({
  status,
  body: typeof v === 'string' ? v : JSON.stringify(v),
});

describe('parseTokenResponse (RFC 6749 §5.1)', () => {
  it('computes expiry from the time the request was sent', () => {
    const t = parseTokenResponse(
      ok({ token_type: 'Bearer', access_token: 'AT', refresh_token: 'RT', expires_in: 3599, scope: 's' }),
      1_000,
    );
    expect(t).toEqual({
      accessToken: 'AT',
      refreshToken: 'RT',
      tokenType: 'Bearer',
      expiresAt: 3_600_000,
      scope: 's',
    });
  });

  it('accepts expires_in as a string and assumes an hour when it is missing', () => {
    expect(parseTokenResponse(ok({ access_token: 'AT', expires_in: '60' }), 0).expiresAt).toBe(60_000);
    expect(parseTokenResponse(ok({ access_token: 'AT' }), 0).expiresAt).toBe(3_600_000);
  });

  it('refuses an answer without an access token or with a foreign token type', () => {
    expect(thrown(() => parseTokenResponse(ok({ token_type: 'Bearer' }), 0)).code).toBe(
      'EAS_ERR_OAUTH_BAD_RESPONSE',
    );
    expect(thrown(() => parseTokenResponse(ok({ access_token: 'x', token_type: 'MAC' }), 0)).message).toMatch(
      /MAC/,
    );
  });
});

describe('OAuth error mapping (RFC 6749 §5.2)', () => {
  it('invalid_grant means needs-credentials', () => {
    const err = thrown(() =>
      parseTokenResponse(
        fail(400, { error: 'invalid_grant', error_description: 'AADSTS70000: revoked.\r\nTrace ID: 1' }),
        0,
      ),
    );
    expect(err).toMatchObject({
      code: 'EAS_ERR_OAUTH_INVALID_GRANT',
      oauthError: 'invalid_grant',
      status: 400,
    });
    expect(err.message).toBe('token endpoint: invalid_grant (AADSTS70000: revoked.)');
    expect(err.needsCredentials).toBe(true);
    expect(err.transient).toBe(false);
  });

  it('interaction_required also needs a new sign-in; invalid_client is a configuration error', () => {
    expect(
      thrown(() => parseTokenResponse(fail(400, { error: 'interaction_required' }), 0)).needsCredentials,
    ).toBe(true);
    const client = thrown(() => parseTokenResponse(fail(401, { error: 'invalid_client' }), 0));
    expect(client).toMatchObject({ code: 'EAS_ERR_OAUTH_SERVER', needsCredentials: false });
  });

  it('429 and 5xx are transient whatever the body; other bodies without error are bad responses', () => {
    const busy = thrown(() => parseTokenResponse(fail(503, '<html>busy</html>'), 0));
    expect(busy).toMatchObject({ code: 'EAS_ERR_OAUTH_NETWORK', status: 503, transient: true });
    expect(
      thrown(() => parseTokenResponse(fail(429, { error: 'temporarily_unavailable' }), 0)).transient,
    ).toBe(true);
    expect(thrown(() => parseTokenResponse(fail(400, '<html/>'), 0)).code).toBe('EAS_ERR_OAUTH_BAD_RESPONSE');
  });
});
