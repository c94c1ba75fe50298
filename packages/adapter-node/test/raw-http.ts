/**
 * A bare HTTP/1.1 client over `net`, for what fetch cannot show: pipelined requests written
 * in one go, chunked bodies cut anywhere, and whether the server closed the connection.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Exchange {
  readonly responses: RawResponse[];
  /** The server ended the connection before `timeoutMs` ran out. */
  readonly closed: boolean;
}

/** Parses as many complete responses as `data` holds; every answer here has a Content-Length. */
function parse(data: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) break;
    const body = rest.subarray(end + 4, end + 4 + length).toString('utf8');
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.subarray(end + 4 + length);
  }
  return { responses, rest };
}

/**
 * Writes each part in turn (a short pause between parts lets the server see them apart),
 * then reads until `expected` responses arrived and, if `waitForClose`, the server closed.
 */
export function exchange(
  port: number,
  parts: readonly (string | Uint8Array)[],
  expected: number,
  { waitForClose = false, timeoutMs = 10_000 } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data: Buffer = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => {
      const parsed = parse(Buffer.concat([data, chunk]));
      data = parsed.rest;
      responses.push(...parsed.responses);
      if (responses.length >= expected && !waitForClose) finish();
    });
    socket.on('end', () => {
      closed = true;
      finish();
    });
    // A server that closes while we still write makes the write fail; what arrived still counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        closed = true;
        finish();
      } else {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('connect', async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        await new Promise((wait) => setTimeout(wait, 20));
      }
    });
  });
}

export function postEvent(body: string, extraHeaders = ''): string {
  return (
    'POST /event HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`
  );
}
