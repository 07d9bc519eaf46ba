import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPkcePair, createState, s256Challenge, VERIFIER_PATTERN } from '../../src/oauth/pkce';

describe('PKCE (RFC 7636)', () => {
  it('matches the known answer of RFC 7636 Appendix B', () => {
    const octets = Buffer.from([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ]);
    const pair = createPkcePair(() => octets);
    expect(pair).toEqual({
      verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      method: 'S256',
    });
  });

  it('always yields a legal 43-character verifier and an unpadded base64url challenge', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const { verifier, challenge } = createPkcePair(() => Buffer.from(bytes));
        expect(verifier).toMatch(VERIFIER_PATTERN);
        expect(verifier).toHaveLength(43);
        expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(challenge).toBe(s256Challenge(verifier));
      }),
    );
  });

  it('draws fresh randomness for every pair and state', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.verifier).not.toBe(b.verifier);
    expect(createState()).not.toBe(createState());
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
