import { createHash, randomBytes } from 'node:crypto';

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1–4.2). */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]. */
export const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

/** BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * A fresh verifier from 32 random octets (43 base64url characters, 256 bits of entropy, as
 * RFC 7636 §4.1 recommends) and its challenge. `random` is injectable for known-answer tests.
 */
export function createPkcePair(random: (n: number) => Buffer = randomBytes): PkcePair {
  const verifier = random(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier), method: 'S256' };
}

/** An unguessable `state` value binding the redirect to this sign-in (RFC 6749 §10.12). */
export function createState(random: (n: number) => Buffer = randomBytes): string {
  return random(16).toString('base64url');
}
