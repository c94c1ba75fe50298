/**
 * The answer to a request node:http's parser (llhttp) refused before any handler saw it: a
 * malformed head, a body framed two ways, a head too large, a timeout. node:http would write its
 * own bare `400` (no body, no Content-Type); this writes the contract's answer instead, so a
 * client sees the same bytes as from every other adapter, then ends the connection: llhttp has
 * stopped, nothing after the error can be read.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Contract, Reply } from '@1mrc/core/http';
import { isIdle } from './connection-order.js';

/** A reply as the bytes of a whole HTTP/1.1 answer that ends its connection. */
export function rawReply(reply: Reply): Buffer {
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries(reply.headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${reply.body.byteLength}`, 'connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), reply.body]);
}

/** node:http's error codes for a head too large and for a request that took too long. */
const TOO_LARGE = new Set(['HPE_HEADER_OVERFLOW']);
const TIMEOUT = new Set(['ERR_HTTP_REQUEST_TIMEOUT']);

/** A `clientError` listener for an `http.Server` serving `contract`. */
export function clientErrorListener(contract: Contract): (error: Error, socket: Duplex) => void {
  const answers = new Map<Reply, Buffer>();
  const bytesOf = (reply: Reply): Buffer => {
    let bytes = answers.get(reply);
    if (bytes === undefined) {
      bytes = rawReply(reply);
      answers.set(reply, bytes);
    }
    return bytes;
  };
  return (error, socket) => {
    const code = (error as { code?: unknown }).code;
    // A request before it is still being answered: bytes written now would land inside its answer.
    if (code === 'ECONNRESET' || !socket.writable || !isIdle(socket as never)) {
      socket.destroy();
      return;
    }
    const reply =
      typeof code === 'string' && TOO_LARGE.has(code)
        ? contract.headersTooLarge
        : typeof code === 'string' && TIMEOUT.has(code)
          ? contract.requestTimeout
          : contract.badRequest;
    socket.end(bytesOf(reply));
    // `end` flushes, then closes; a client that never reads must not hold the socket.
    setTimeout(() => socket.destroy(), 1_000).unref();
  };
}
