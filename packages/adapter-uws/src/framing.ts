import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

/**
 * A request whose body could be framed two ways, refused before anything reads it (RFC 9112
 * §6.3): Content-Length with Transfer-Encoding, several of either, or a coding other than
 * `chunked` alone. This uWS build frames by the first Content-Length and takes any
 * Transfer-Encoding for chunked, so `Content-Length: 0` then `Content-Length: 60` would read an
 * empty body and take the 60 bytes after it, a `POST /event` hidden there, for the next request.
 * node:http's llhttp refuses all of these itself.
 *
 * Headers are counted only when a body is announced: most `GET`s pay two lookups.
 */
export function ambiguousFraming(req: HttpRequest): boolean {
  const length = req.getHeader('content-length');
  const coding = req.getHeader('transfer-encoding');
  if (length === '' && coding === '') return false;
  if (coding !== '' && (length !== '' || coding.toLowerCase() !== 'chunked')) return true;
  let framing = 0;
  req.forEach((name) => {
    if (name === 'content-length' || name === 'transfer-encoding') framing++;
  });
  return framing > 1;
}

/** As llhttp answers a request it cannot frame: 400, no body; the connection is closed. */
export function refuseFraming(res: HttpResponse): void {
  res.writeStatus('400 Bad Request').end(undefined, true);
}
