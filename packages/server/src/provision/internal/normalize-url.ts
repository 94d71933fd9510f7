/**
 * Checks an absolute http(s) URL given in a manifest or on the command line and returns it without a
 * trailing slash (so `<base>/oauth/token` is well-formed). Returns a reason string when it is not usable.
 */
export function normalizeUrl(value: string): { url: string } | { reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { reason: `"${value}" is not an absolute URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { reason: `"${value}" must be an http:// or https:// URL` };
  }
  if (parsed.username || parsed.password) {
    return { reason: 'must not carry credentials' };
  }
  if (parsed.search || parsed.hash) {
    return { reason: `"${value}" must not have a query or a fragment` };
  }
  return { url: parsed.href.replace(/\/+$/, '') };
}
