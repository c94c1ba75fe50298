import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

/**
 * A request whose body could be framed two ways, refused before anything reads it (RFC 9112
 * §6.3): Content-Length with Transfer-Encoding, several of either, an empty one, or a coding
 * other than `chunked` alone. This uWS build frames by the first Content-Length (an empty one
 * is 0) and takes any Transfer-Encoding for chunked, so `Content-Length: 0` then
 * `Content-Length: 60` would read an empty body and take the 60 bytes after it, a
 * `POST /event` hidden there, for the next request. node:http's llhttp refuses all of these.
 *
 * `getHeader` returns '' for an empty header as for a missing one, so the headers are counted.
 */
export function ambiguousFraming(req: HttpRequest): boolean {
  let lengths = 0;
  let codings = 0;
  req.forEach((name) => {
    if (name === 'content-length') lengths++;
    else if (name === 'transfer-encoding') codings++;
  });
  if (lengths + codings === 0) return false;
  if (lengths + codings > 1) return true;
  return lengths === 1
    ? req.getHeader('content-length') === ''
    : req.getHeader('transfer-encoding').toLowerCase() !== 'chunked';
}

/**
 * Drops the connection without an answer. A 400 with `Connection: close` would not do: this
 * build goes on parsing what already arrived behind it, and would handle (and count) the
 * request hidden in the body. `close()` stops it at once; the client sees a closed connection.
 */
export function refuseFraming(res: HttpResponse): void {
  res.close();
}
