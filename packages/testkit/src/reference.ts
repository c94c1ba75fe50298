/**
 * What the contract itself answers, so that tests hold a server to the contract's exact bytes
 * rather than to a copy of them. The one place tests reach into the contract's routing.
 */
import { createStats } from '@1mrc/core';
import { createContract, type Reply, type RequestHead } from '@1mrc/core/http';

/** The reference has `/reset` enabled with this token; start a server with it to compare `/reset` answers. */
export const REFERENCE_RESET_TOKEN = 'reference-reset-token';

const reference = createContract({ store: createStats(), resetToken: REFERENCE_RESET_TOKEN });
const decoder = new TextDecoder();

export interface ExpectedReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text. */
  readonly body: string;
}

function text(reply: Reply): ExpectedReply {
  return { status: reply.status, headers: reply.headers, body: decoder.decode(reply.body) };
}

/** The contract's reply to a request whose answer does not depend on the stats (errors, a fresh event). */
export async function contractReply(
  head: RequestHead,
  body: string | Uint8Array = '',
): Promise<ExpectedReply> {
  const route = reference.route(head);
  return text(await (route.limit === undefined ? route.reply : route.handle(Buffer.from(body))));
}

/** The contract's 413, sent when a body passes its limit. */
export const TOO_LARGE: ExpectedReply = text(reference.tooLarge);

/** The contract's 500, sent when the store fails: it says nothing of the cause. */
export const INTERNAL_ERROR: ExpectedReply = text(reference.internalError);

/** The contract's 411, sent for a chunked body by a transport that cannot read one safely (uWS). */
export const LENGTH_REQUIRED: ExpectedReply = text(reference.lengthRequired);
