import type { IncomingMessage } from 'node:http';
import type { RequestHead } from '@1mrc/core/http';

/** What the contract needs to know of a node:http request before its body is read. */
export function requestHead(req: IncomingMessage): RequestHead {
  // node:http has already built `req.headers` (it checks Host and Expect), so these are lookups.
  const { headers } = req;
  const length = headers['content-length'];
  return {
    method: req.method ?? '',
    url: req.url ?? '/',
    contentType: headers['content-type'],
    // llhttp has already refused a Content-Length that is not one plain decimal number.
    contentLength: length === undefined ? undefined : Number(length),
    authorization: headers.authorization,
  };
}
