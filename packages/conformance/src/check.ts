/** Requests through undici, and the assertions every case shares. */
import { AssertionError } from 'node:assert';
import { type ContractErrorCode as ErrorCode, HTTP_STATUS } from '@1mrc/core/http';
import { request } from 'undici';
import type { Answer, CaseContext } from './types.js';

export const JSON_TYPE = { 'content-type': 'application/json' } as const;

export interface SendInit {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export async function send(
  context: CaseContext,
  method: string,
  path: string,
  init: SendInit = {},
): Promise<Answer> {
  const answer = await request(new URL(path, context.url), {
    method: method as 'GET',
    dispatcher: context.dispatcher,
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: answer.statusCode, headers, body: Buffer.from(await answer.body.bytes()) };
}

/** `POST /event` with `Content-Type: application/json`. */
export function postEvent(context: CaseContext, body: string | Uint8Array): Promise<Answer> {
  return send(context, 'POST', '/event', { headers: JSON_TYPE, body });
}

/** The exact bytes of `GET /stats`. */
export async function statsText(context: CaseContext): Promise<string> {
  const answer = await send(context, 'GET', '/stats');
  check(answer.status === 200, `GET /stats answered ${show(answer)}`);
  return answer.body.toString('utf8');
}

export interface StatsValues {
  readonly totalRequests: number;
  readonly uniqueUsers: number;
  readonly sum: number;
  readonly avg: number;
}

export async function stats(context: CaseContext): Promise<StatsValues> {
  return JSON.parse(await statsText(context)) as StatsValues;
}

/** Runs `action` and checks `/stats` answers the same bytes after it as before. */
export async function unchanged(context: CaseContext, action: () => Promise<void>): Promise<void> {
  const before = await statsText(context);
  await action();
  const after = await statsText(context);
  check(after === before, `a rejected request changed /stats: ${before} -> ${after}`);
}

/** Checks that `/health` still answers, e.g. after a client misbehaved. */
export async function healthy(context: CaseContext): Promise<void> {
  expectJson(await send(context, 'GET', '/health'), 200, '{"status":"ok"}');
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError({ message });
}

/** Status, headers and body of an answer, short enough for a failure message. */
export function show(answer: Answer): string {
  const body = answer.body.toString('utf8');
  const type = answer.headers['content-type'] ?? '(no content-type)';
  return `${answer.status} [${type}] ${body.length > 300 ? `${body.slice(0, 300)}…` : body}`;
}

function isJson(answer: Answer): boolean {
  const type = answer.headers['content-type'] ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** A JSON answer with exactly `status` and the bytes `body`. */
export function expectJson(answer: Answer, status: number, body: string): void {
  check(
    answer.status === status && answer.body.toString('utf8') === body && isJson(answer),
    `expected ${status} [application/json] ${body}, got ${show(answer)}`,
  );
}

export interface ErrorExpectation {
  /** The `Allow` header a 405 must carry. */
  readonly allow?: string;
  /** The batch index the error must name, in `error.index` and in the message. */
  readonly index?: number;
}

/** The one error shape: `{"error":{"code","message"[,"index"]}}`, with the status from the code. */
export function expectError(answer: Answer, code: ErrorCode, expected: ErrorExpectation = {}): void {
  const context = `expected ${HTTP_STATUS[code]} ${code}, got ${show(answer)}`;
  check(answer.status === HTTP_STATUS[code], context);
  check(isJson(answer), `an error must be application/json: ${context}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    check(false, `an error body must be JSON: ${context}`);
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  check(
    typeof body === 'object' &&
      body !== null &&
      Object.keys(body).join() === 'error' &&
      typeof error === 'object',
    `an error body must be {"error":{...}} and nothing else: ${context}`,
  );
  const keys = Object.keys(error).sort().join();
  check(
    keys === 'code,message' || keys === 'code,index,message',
    `error keys must be code, message[, index]: ${context}`,
  );
  check(error['code'] === code, context);
  check(
    typeof error['message'] === 'string' && error['message'].length > 0,
    `error.message must be a non-empty string: ${context}`,
  );
  if (expected.index !== undefined) {
    check(error['index'] === expected.index, `error.index must be ${expected.index}: ${context}`);
    check(
      String(error['message']).includes(String(expected.index)),
      `the message must name index ${expected.index}: ${context}`,
    );
  }
  if (expected.allow !== undefined) {
    check(
      answer.headers['allow'] === expected.allow,
      `a 405 must carry Allow: ${expected.allow}; got ${answer.headers['allow']}`,
    );
  }
}
