import type { ServerOptions } from 'node:http';
import type { ServeOptions } from '@1mrc/server';

/**
 * Timeouts for a server that sees many short requests: an idle keep-alive connection is kept
 * 30 s (clients reuse it between bursts), headers must arrive within 20 s and a whole request
 * (a 1 MiB batch included) within 60 s, so a slow or stalled client cannot hold a socket forever.
 */
const KEEP_ALIVE_TIMEOUT = 30_000;
const HEADERS_TIMEOUT = 20_000;
const REQUEST_TIMEOUT = 60_000;
/**
 * node:http enforces the head and request timeouts only when it checks its connections, every
 * 30 s by default, so a 20 s timeout could take 50 s; here every second, or sooner for a shorter one.
 */
const CHECK_INTERVAL = 1_000;

export interface NodeServerOptions {
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly connectionsCheckingInterval: number;
  readonly requireHostHeader: false;
}

type TimeoutOptions = Pick<ServeOptions, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'>;

/** The `http.createServer` options `serve` needs; node:http validates the timeouts itself. */
export function serverOptions(options: TimeoutOptions): NodeServerOptions & ServerOptions {
  const { requestTimeout = REQUEST_TIMEOUT, keepAliveTimeout = KEEP_ALIVE_TIMEOUT } = options;
  // node:http refuses a head timeout longer than the request's (0 turns a timeout off).
  const headersTimeout =
    options.headersTimeout ?? Math.min(HEADERS_TIMEOUT, requestTimeout || HEADERS_TIMEOUT);
  const enforced = [headersTimeout, requestTimeout].filter((timeout) => timeout > 0);
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL, ...enforced),
    // node:http answers a missing Host with a 400 but goes on reading the connection, and would
    // start (and count) a request pipelined behind it; the contract refuses it instead, and closes.
    requireHostHeader: false,
  };
}
