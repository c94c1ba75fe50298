/** A raw HTTP/1.1 connection for the root tests: real sockets, nothing between them and the server. */
import { connect, type Socket } from 'node:net';

export interface Answer {
  readonly status: number;
  /** The status line and header lines, as sent. */
  readonly head: string;
  readonly body: string;
}

/** One kept-alive HTTP/1.1 connection, one request at a time; every answer has a Content-Length. */
export class Connection {
  readonly #socket: Socket;
  #data = Buffer.alloc(0);
  #waiting: ((answer: Answer) => void) | undefined;
  #failed: Error | undefined;

  constructor(port: number) {
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => {
      this.#data = Buffer.concat([this.#data, chunk]);
      this.#parse();
    });
    this.#socket.on('error', (error) => {
      this.#failed = error;
    });
  }

  /** `headers` are added as given; a body is sent as JSON unless they name a content-type. */
  request(
    method: string,
    path: string,
    body?: string,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<Answer> {
    if (this.#failed) return Promise.reject(this.#failed);
    const fields: Record<string, string> =
      body === undefined
        ? { ...headers }
        : {
            'content-type': 'application/json',
            ...headers,
            'content-length': String(Buffer.byteLength(body)),
          };
    const head = Object.entries(fields)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body ?? ''}`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    const end = this.#data.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.#data.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.#data.length < end + 4 + length) return;
    const body = this.#data.subarray(end + 4, end + 4 + length).toString('utf8');
    this.#data = this.#data.subarray(end + 4 + length);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ status: Number(head.split(' ')[1]), head, body });
  }
}
