import type { IncomingMessage } from 'node:http';
import type { RequestHead } from '@1mrc/core/http';

/**
 * Every Host field line joined with `, `: node:http keeps only the first in `req.headers`, and
 * the contract must see a repeated one (RFC 9112 §3.2). Usually one short pass over names.
 */
function hosts(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      const value = raw[i + 1] as string;
      host = host === undefined ? value : `${host}, ${value}`;
    }
  }
  return host;
}

/** What the contract needs to know of a node:http request before its body is read. */
export function requestHead(req: IncomingMessage): RequestHead {
  const { headers } = req;
  const length = headers['content-length'];
  return {
    method: req.method ?? '',
    url: req.url ?? '/',
    contentType: headers['content-type'],
    // llhttp has already refused a Content-Length that is not one plain decimal number.
    contentLength: length === undefined ? undefined : Number(length),
    // node:http joins repeated Transfer-Encoding lines with `, `.
    transferEncoding: headers['transfer-encoding'],
    host: hosts(req),
    // llhttp refuses any other version.
    version: req.httpVersionMinor === 0 ? '1.0' : '1.1',
    authorization: headers.authorization,
  };
}
