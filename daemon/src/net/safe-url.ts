/**
 * Strips userinfo and query so a URL can go into an error, a log line or a status (query
 * strings carry tokens: push topics, signed webhook URLs). Never throws: it is called on error
 * paths, where a second exception would hide the first.
 */
export function safeUrl(url: URL | string): string {
  try {
    const u = new URL(url.toString());
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
