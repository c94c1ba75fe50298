import type { HttpRequest } from 'uWebSockets.js';
import type { RequestHead } from '@1mrc/core/http';

/**
 * uWS lower-cases the method (`getCaseSensitiveMethod` too, in this build) and closes the
 * connection on any method it does not know or that is not upper-case, so upper-casing
 * restores exactly what the client sent.
 */
const METHODS: Readonly<Record<string, string>> = { get: 'GET', post: 'POST', head: 'HEAD', put: 'PUT' };

// Filled by one `forEach` over the headers. uWS runs one handler to completion before the
// next, so scratch at module level is safe, and the hot path allocates no closure for it.
let contentType: string | undefined;
let contentLength: string | undefined;
let transferEncoding: string | undefined;
let authorization: string | undefined;
let framingHeaders = 0;

function clear(): void {
  contentType = contentLength = transferEncoding = authorization = undefined;
  framingHeaders = 0;
}

function collect(name: string, value: string): void {
  switch (name) {
    case 'content-type':
      contentType ??= value; // the first, as getHeader would answer
      break;
    case 'content-length':
      framingHeaders++;
      contentLength = value;
      break;
    case 'transfer-encoding':
      framingHeaders++;
      transferEncoding = value;
      break;
    case 'authorization':
      authorization ??= value;
      break;
  }
}

/**
 * The request head, read all at once: a uWS request lives on the stack and is gone after the
 * handler. One pass over the headers, cheaper than a `getHeader` per name.
 *
 * `undefined` for a request whose body could be framed two ways, to be refused before anything
 * reads it (RFC 9112 §6.3): Content-Length with Transfer-Encoding, several of either, an empty
 * one, or a coding other than `chunked` alone. This uWS build frames by the first Content-Length
 * (an empty one is 0) and takes any Transfer-Encoding for chunked, so `Content-Length: 0` then
 * `Content-Length: 60` would read an empty body and take the 60 bytes after it, a `POST /event`
 * hidden there, for the next request. node:http's llhttp refuses all of these.
 */
export function readHead(req: HttpRequest): RequestHead | undefined {
  clear();
  req.forEach(collect);
  if (
    framingHeaders > 1 ||
    contentLength === '' ||
    (transferEncoding !== undefined && transferEncoding.toLowerCase() !== 'chunked')
  ) {
    return undefined;
  }
  const method = req.getMethod();
  return {
    method: METHODS[method] ?? method.toUpperCase(),
    url: req.getUrl(),
    contentType: contentType || undefined,
    contentLength: contentLength === undefined ? undefined : Number(contentLength),
    authorization: authorization || undefined,
  };
}
