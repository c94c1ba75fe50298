/**
 * Talking to a server under test. The raw HTTP/1.1 client is the conformance suite's
 * (`@1mrc/conformance/raw-http`), re-exported here so that there is one; these are the shortcuts
 * the tests add on top of it.
 */

import { type Answer, type RawConnection, rawRequest } from '@1mrc/conformance/raw-http';
import type { Snapshot } from '@1mrc/core';
import type { RunningServer, ServeOptions } from '@1mrc/server';
import { ADAPTERS, type AdapterName } from './adapters.js';

export {
  ANSWER_TIMEOUT_MS,
  type Answer,
  ConnectionClosed,
  chunk,
  exchange,
  type OpenOptions,
  type Outcome,
  parseAnswer,
  parseAnswers,
  RawConnection,
  rawRequest,
  socketAddress,
  type TalkOptions,
  talk,
} from '@1mrc/conformance/raw-http';

/**
 * The bytes of a complete `POST /event` to `url` with `Content-Type: application/json`, as a
 * string of bytes (one character per byte) that tests may splice and concatenate.
 */
export function postEvent(url: string, body: string, headers: Readonly<Record<string, string>> = {}): string {
  return rawRequest(url, 'POST', '/event', { 'content-type': 'application/json', ...headers }, body).toString(
    'latin1',
  );
}

/** The bytes of a bodiless request (`GET /stats`, …) to `url`, as a string of bytes. */
export function getRequest(
  url: string,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): string {
  return rawRequest(url, 'GET', path, headers).toString('latin1');
}

/** An answer whose body is read as UTF-8 text. */
export interface TextAnswer extends Omit<Answer, 'body'> {
  readonly body: string;
}

/**
 * Sends one request on a kept-alive `connection` and waits for its answer. A body goes as
 * `application/json` unless `headers` name a content-type.
 */
export async function sendRequest(
  connection: RawConnection,
  method: string,
  path: string,
  body?: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<TextAnswer> {
  const fields = body === undefined ? headers : { 'content-type': 'application/json', ...headers };
  const [answer] = await connection.send(rawRequest(connection.url, method, path, fields, body));
  if (answer === undefined) throw new Error(`${method} ${path}: no answer`);
  return { ...answer, body: answer.body.toString('utf8') };
}

export async function readStats(url: string): Promise<Snapshot> {
  const answer = await fetch(`${url}/stats`);
  if (answer.status !== 200) throw new Error(`GET /stats answered ${answer.status}`);
  return (await answer.json()) as Snapshot;
}

/** GET /health answers 200 `{"status":"ok"}` within 5 s. */
export async function healthy(url: string): Promise<boolean> {
  try {
    const answer = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
    return answer.status === 200 && (await answer.text()) === '{"status":"ok"}';
  } catch {
    return false;
  }
}

/** Starts `adapter` on a free port, runs `use`, and closes the server whatever happens. */
export async function withServer<T>(
  adapter: AdapterName,
  options: ServeOptions,
  use: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await ADAPTERS[adapter]({ port: 0, ...options });
  try {
    return await use(server);
  } finally {
    await server.close();
  }
}

/** An answer read through `fetch`: its body parsed as JSON, or kept as text where it is not JSON. */
export interface FetchedAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function fetched(response: Response): Promise<FetchedAnswer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, headers: response.headers, body };
}

/** `POST /event {"userId","value"}` through `fetch` (a pooled connection, not the raw client). */
export async function fetchPostEvent(url: string, userId: string, value: number): Promise<FetchedAnswer> {
  return fetched(
    await fetch(`${url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, value }),
    }),
  );
}

/** `POST /events [...]` through `fetch`. */
export async function fetchPostEvents(
  url: string,
  events: readonly { userId: string; value: number }[],
): Promise<FetchedAnswer> {
  return fetched(
    await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    }),
  );
}

/** `GET path` through `fetch`. */
export async function fetchGet(url: string, path: string): Promise<FetchedAnswer> {
  return fetched(await fetch(`${url}${path}`));
}

/** Polls `ok` every 50 ms, at most `tries` times (not a timed assertion: it bounds a wait). */
export async function eventually(ok: () => Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}
