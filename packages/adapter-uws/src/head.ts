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
let contentLength: number | undefined;
let transferEncoding: string | undefined;
let host: string | undefined;
let authorization: string | undefined;
let connectionClose = false;

function clear(): void {
  contentType = transferEncoding = host = authorization = contentLength = undefined;
  connectionClose = false;
}

/** One plain decimal number (RFC 9110 §8.6), else `NaN`: this build reads `+1`, `0x1`, `` as numbers. */
function length(value: string): number {
  if (value.length === 0 || value.length > 15) return Number.NaN;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return Number.NaN;
  }
  return Number(value);
}

function collect(name: string, value: string): void {
  switch (name) {
    case 'content-type':
      contentType ??= value; // the first, as getHeader would answer
      break;
    case 'content-length':
      // Repeated, even equal: refused (this build frames by the first one).
      contentLength = contentLength === undefined ? length(value) : Number.NaN;
      break;
    case 'transfer-encoding':
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      break;
    case 'host':
      host = host === undefined ? value : `${host}, ${value}`;
      break;
    case 'authorization':
      authorization ??= value;
      break;
    case 'connection':
      // A list of options (RFC 9110 §7.6.1); `close` among them ends the connection.
      if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) connectionClose = true;
      break;
  }
}

/**
 * The request head, read all at once: a uWS request lives on the stack and is gone after the
 * handler. One pass over the headers, cheaper than a `getHeader` per name. The contract decides
 * what to refuse; this build hands JavaScript HTTP/1.1 requests only (see docs/reliability.md).
 */
export function readHead(req: HttpRequest): RequestHead {
  clear();
  req.forEach(collect);
  const method = req.getMethod();
  return {
    method: METHODS[method] ?? method.toUpperCase(),
    url: req.getUrl(),
    contentType: contentType || undefined,
    contentLength,
    transferEncoding,
    host,
    version: '1.1',
    authorization: authorization || undefined,
  };
}

/** Whether the head `readHead` read last asked to close the connection after its answer. */
export function askedToClose(): boolean {
  return connectionClose;
}
