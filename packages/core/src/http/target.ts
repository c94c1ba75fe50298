/**
 * What RFC 9112 asks of a request before it is routed: its framing (§6), its Host (§3.2) and
 * its target (§3.2.1 to §3.2.4). Each answer is a path to route, or a refusal.
 */
import type { RequestHead } from './types.js';

/**
 * The framing problem of `head`, if any: a body that could be framed two ways or not at all.
 * Only `chunked` alone is a supported coding (RFC 9112 §6.1: `gzip, chunked` would hand gzip
 * bytes to the parser), never beside Content-Length (§6.3), never on HTTP/1.0 (§6.1: its framing
 * is faulty even with a Content-Length).
 */
export function framingProblem(head: RequestHead): boolean {
  const { transferEncoding, contentLength } = head;
  if (contentLength !== undefined && Number.isNaN(contentLength)) return true;
  if (transferEncoding === undefined) return false;
  return (
    contentLength !== undefined || head.version === '1.0' || transferEncoding.toLowerCase() !== 'chunked'
  );
}

/**
 * A Host an HTTP/1.1 server must take (RFC 9112 §3.2, RFC 3986 §3.2.2): present, one field line,
 * and one `uri-host [":" port]` (no userinfo, path, query, list or space). An empty one is
 * refused too: these routes have one authority. HTTP/1.0 may omit it, and so may a head whose
 * transport says no version (a test calling the contract directly).
 */
export function hostProblem(head: RequestHead): boolean {
  const host = head.host;
  if (host === undefined) return head.version === '1.1';
  if (host.length === 0) return true;
  let i = 0;
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    if (close === -1) return true;
    for (i = 1; i < close; i++) if (!isIpLiteralChar(host.charCodeAt(i))) return true;
    i = close + 1;
  } else {
    for (; i < host.length && host.charCodeAt(i) !== 0x3a; i++)
      if (!isRegNameChar(host.charCodeAt(i))) return true;
  }
  if (i === host.length) return false;
  if (host.charCodeAt(i) !== 0x3a /* : */) return true;
  for (i++; i < host.length; i++) if (!isDigit(host.charCodeAt(i))) return true;
  return false;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/** unreserved, pct-encoded and sub-delims without `,` (a list of hosts is refused). */
function isRegNameChar(c: number): boolean {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case 0x2d: // -
    case 0x2e: // .
    case 0x5f: // _
    case 0x7e: // ~
    case 0x25: // %
    case 0x21: // !
    case 0x24: // $
    case 0x26: // &
    case 0x27: // '
    case 0x28: // (
    case 0x29: // )
    case 0x2a: // *
    case 0x2b: // +
    case 0x3b: // ;
    case 0x3d: // =
      return true;
    default:
      return false;
  }
}

function isIpLiteralChar(c: number): boolean {
  return isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) || c === 0x3a || c === 0x2e || c === 0x76;
}

/**
 * The path to route for `url`, without its query; `undefined` for a target to refuse. Origin-form
 * is the common case; absolute-form (`http://host/health`) is routed by its path, as RFC 9112
 * §3.2.2 requires of a server; `*` (asterisk-form) is only for OPTIONS (§3.2.4) and routes
 * nowhere; a fragment is never sent (RFC 9110 §4.2.5); anything else (authority-form, a bare
 * word) is malformed.
 */
export function targetPath(url: string, method: string): string | undefined {
  if (url.indexOf('#') !== -1) return undefined;
  let path = url;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    if (url === '*') return method === 'OPTIONS' ? '*' : undefined;
    const scheme = /^https?:\/\/[^/?]*/i.exec(url);
    if (scheme === null) return undefined;
    path = url.slice(scheme[0].length);
    if (path === '' || path.charCodeAt(0) === 0x3f /* ? */) path = `/${path}`;
  }
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
