import { describe, expect, it } from 'vitest';
import { safeUrl as davSafeUrl } from '../../src/dav/errors';
import { safeUrl as jmapSafeUrl } from '../../src/jmap/errors';
import { safeUrl } from '../../src/net/safe-url';

describe('safeUrl', () => {
  it('drops userinfo and the query (tokens), keeps origin and path', () => {
    expect(safeUrl('https://alice:s3cret@dav.example.org/cal/?token=abc&x=1')).toBe(
      'https://dav.example.org/cal/',
    );
    expect(safeUrl(new URL('http://127.0.0.1:8080/jmap/session?access_token=t'))).toBe(
      'http://127.0.0.1:8080/jmap/session',
    );
  });

  it('never throws on what is not a URL (it runs on error paths)', () => {
    expect(safeUrl('not a url')).toBe('(not a URL)');
    expect(safeUrl('')).toBe('(not a URL)');
  });

  it('is the one the protocol rooms use', () => {
    expect(davSafeUrl).toBe(safeUrl);
    expect(jmapSafeUrl).toBe(safeUrl);
  });
});
