/** A bare HTTP/1.1 client over one TCP socket, for what fetch hides: pipelining, keep-alive, bytes. */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawConnection {
  /** Writes raw bytes (several requests at once to pipeline them). */
  write(data: string): void;
  /** Resolves with the next `count` responses, in the order they arrive. */
  read(count: number, options?: { head?: boolean }): Promise<RawResponse[]>;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  destroy(): void;
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let buffer = '';
    let wake: (() => void) | undefined;
    let ended = false;
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      wake?.();
    });
    socket.on('close', () => {
      ended = true;
      wake?.();
    });
    socket.on('error', () => {});
    const next = async (head: boolean): Promise<RawResponse> => {
      for (;;) {
        const parsed = parseOne(buffer, head);
        if (parsed) {
          buffer = buffer.slice(parsed.length);
          return parsed.response;
        }
        if (ended) throw new Error(`connection closed; unparsed: ${JSON.stringify(buffer)}`);
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    };
    socket.once('connect', () =>
      resolve({
        write: (data) => socket.write(data, 'latin1'),
        async read(count, options = {}) {
          const responses: RawResponse[] = [];
          for (let i = 0; i < count; i++) responses.push(await next(options.head ?? false));
          return responses;
        },
        closed,
        destroy: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

function parseOne(buffer: string, head: boolean): { response: RawResponse; length: number } | undefined {
  if (buffer.length >= 9 && !buffer.startsWith('HTTP/1.1 ')) {
    throw new Error(`not the start of a response: ${JSON.stringify(buffer.slice(0, 80))}`);
  }
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = buffer.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = head ? 0 : Number(headers['content-length'] ?? 0);
  if (buffer.length < end + 4 + length) return undefined;
  const body = buffer.slice(end + 4, end + 4 + length);
  return { response: { status: Number(statusLine.split(' ')[1]), headers, body }, length: end + 4 + length };
}

export function request(
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = {},
): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== '' || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
