/**
 * Hrefs in a multistatus may be absolute URLs or paths, with percent-encoding that differs from
 * server to server (RFC 4918 §8.3). We key everything by one canonical form: the path, each
 * segment decoded and re-encoded.
 */
export function canonicalHref(href: string, base: URL): string {
  const path = new URL(href, base).pathname;
  return path
    .split('/')
    .map((seg) => {
      try {
        return encodeURIComponent(decodeURIComponent(seg));
      } catch {
        return seg;
      }
    })
    .join('/');
}

/** Collection hrefs compare with a trailing slash (RFC 4918 §5.2). */
export function collectionHref(href: string, base: URL): string {
  const h = canonicalHref(href, base);
  return h.endsWith('/') ? h : `${h}/`;
}

/** The absolute URL of a canonical href on the server at `base`. */
export function hrefUrl(href: string, base: URL): URL {
  return new URL(href, base.origin);
}
