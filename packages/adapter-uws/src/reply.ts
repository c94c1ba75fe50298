import type { HttpResponse } from 'uWebSockets.js';
import { STATUS_CODES } from 'node:http';
import type { Reply } from '@1mrc/core/http';

const statusLines = new Map<number, string>();

/** uWS takes the whole status line ("200 OK"), not a number. */
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/**
 * Writes a whole `Reply`; uWS adds Content-Length (and its own Date and uWebSockets headers).
 * Outside a uWS callback the caller wraps this in `res.cork`.
 *
 * A HEAD answer (its headers carry `content-length`, its body is empty) gets the head only: its
 * Content-Length is written by hand, as this build's `endWithoutBody(length)` waits for `length`
 * body bytes that never come and the process aborts, and `endWithoutBody()` is the only other
 * call it accepts (so no `closeConnection` for HEAD; `app.close()` ends that connection when the
 * server drains).
 */
export function writeReply(res: HttpResponse, reply: Reply, closeConnection: boolean): void {
  // uWS starts every response as 200 OK: one native call fewer on the hot path.
  if (reply.status !== 200) res.writeStatus(statusLine(reply.status));
  const headers = reply.headers;
  for (const name in headers) res.writeHeader(name, headers[name] as string);
  if ('content-length' in headers) res.endWithoutBody();
  else res.end(reply.body, closeConnection);
}
