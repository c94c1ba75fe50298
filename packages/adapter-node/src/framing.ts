import type { IncomingMessage } from 'node:http';
import type { Reply } from '@1mrc/core/http';

/**
 * A request llhttp lets through that must still be refused, and its connection closed, so that
 * nothing after it on the connection (a request hidden in its body, say) is read:
 * - a transfer coding before `chunked`: llhttp refuses a request framed two ways, or whose last
 *   coding is not `chunked`, but reads `gzip, chunked` as chunked, and its gzip bytes would
 *   reach the contract as the body. Only `chunked` alone is supported (RFC 9112 §6.1).
 * - HTTP/1.1 without Host (RFC 9112 §3.2), which node:http's own check would answer without
 *   stopping the connection (see server-options.ts).
 */
export function refusedHead(req: IncomingMessage): boolean {
  const coding = req.headers['transfer-encoding'];
  if (coding !== undefined && coding.toLowerCase() !== 'chunked') return true;
  return req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1;
}

/** The answer llhttp gives for a request it cannot frame: 400, no body, connection closed. */
export const BAD_FRAMING: Reply = {
  status: 400,
  headers: { connection: 'close' },
  body: new Uint8Array(0),
};
