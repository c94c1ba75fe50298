/** Bare uWebSockets.js: one App, body chunks copied out of uWS's short-lived buffers. */
import { createRequire } from 'node:module';
import { createTally, OK_BODY, onStop, portFromEnv } from './tally.js';

// uWebSockets.js is a dependency of the adapter package, not of the workspace root.
const require = createRequire(new URL('../../packages/adapter-uws/package.json', import.meta.url));

// The few uWS calls used here, typed structurally: its own types do not resolve from bench/.
interface Response {
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): void;
  onAborted(handler: () => void): void;
  cork(work: () => void): void;
  writeStatus(status: string): Response;
  writeHeader(name: string, value: string): Response;
  end(body: string): void;
}
interface App {
  post(pattern: string, handler: (res: Response) => void): App;
  get(pattern: string, handler: (res: Response) => void): App;
  any(pattern: string, handler: (res: Response) => void): App;
  listen(host: string, port: number, done: (socket: unknown) => void): App;
}
interface Uws {
  App(): App;
  us_listen_socket_close(socket: unknown): void;
  us_socket_local_port(socket: unknown): number;
}
const uws = require('uWebSockets.js') as Uws;

const tally = createTally();

function send(res: Response, status: string, body: string): void {
  res.writeStatus(status).writeHeader('content-type', 'application/json').end(body);
}

const app = uws
  .App()
  .post('/event', (res) => {
    let aborted = false;
    let chunks: Buffer[] = [];
    res.onAborted(() => {
      aborted = true;
    });
    res.onData((chunk, isLast) => {
      // uWS reuses `chunk` after this callback returns, so it is copied unless it is the whole body.
      if (!isLast) {
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        return;
      }
      const tail = Buffer.from(chunk);
      const body = chunks.length === 0 ? tail.toString() : Buffer.concat([...chunks, tail]).toString();
      chunks = [];
      if (aborted) return;
      const ok = tally.record(body);
      send(res, ok ? '200 OK' : '400 Bad Request', ok ? OK_BODY : '{"error":"bad event"}');
    });
  })
  .get('/stats', (res) => send(res, '200 OK', tally.stats()))
  .get('/health', (res) => send(res, '200 OK', OK_BODY))
  .any('/*', (res) => send(res, '404 Not Found', '{"error":"not found"}'));

app.listen('127.0.0.1', portFromEnv(), (socket) => {
  if (!socket) {
    console.error('uws-bare: could not listen');
    process.exit(1);
  }
  console.log(`uws-bare listening on http://127.0.0.1:${uws.us_socket_local_port(socket)}`);
  onStop(tally, async () => uws.us_listen_socket_close(socket));
});
