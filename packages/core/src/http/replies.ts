/** How an answer is built: JSON bytes, the error shape, and the variants for HEAD and for closing. */
import type { Snapshot } from '../types.js';
import { type ContractError, type ContractErrorCode, HTTP_STATUS } from './status.js';
import type { Reply } from './types.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function json(status: number, body: unknown, headers: Record<string, string> = JSON_HEADERS): Reply {
  return { status, headers, body: encoder.encode(JSON.stringify(body)) };
}

/** The one shape of every refusal: `{"error":{"code","message","index"?}}`, status from `HTTP_STATUS`. */
export function errorReply(error: ContractError, headers?: Record<string, string>): Reply {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.index === undefined ? {} : { index: error.index }),
    },
  };
  return json(HTTP_STATUS[error.code], body, headers);
}

export const fail = (code: ContractErrorCode, message: string): Reply => errorReply({ code, message });

/** `reply`, ending its connection. */
export const closing = (reply: Reply): Reply => ({ ...reply, close: true });

/** The exact bytes of a `/stats` answer; every adapter serves these for the same snapshot. */
export function statsReply(snapshot: Snapshot): Reply {
  const { totalRequests, uniqueUsers, sum, avg } = snapshot;
  return json(200, { totalRequests, uniqueUsers, sum, avg });
}

const headReplies = new WeakMap<Reply, Reply>();

/**
 * The answer to HEAD: the GET answer's status and headers, its length, no body (RFC 9110 §9.3.2).
 * Built once per shared reply.
 */
export function headReply(reply: Reply): Reply {
  let head = headReplies.get(reply);
  if (head === undefined) {
    head = {
      ...reply,
      headers: { ...reply.headers, 'content-length': String(reply.body.byteLength) },
      body: EMPTY,
    };
    headReplies.set(reply, head);
  }
  return head;
}
