import type { IncomingMessage } from 'node:http';

const EMPTY: Uint8Array = Buffer.alloc(0);

/**
 * Reads a request body of at most `limit` bytes, then calls `done` with it, or with
 * `undefined` as soon as the body grows past `limit` (whatever the Content-Length said;
 * a chunked body has none). Reading stops there: the rest is never buffered.
 * A single chunk, the usual case for a small body, is passed on without a copy.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (body: Uint8Array | undefined) => void,
): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      req.off('data', onData);
      req.off('end', onEnd);
      done(undefined);
    } else if (first === undefined) {
      first = chunk;
    } else if (chunks === undefined) {
      chunks = [first, chunk];
    } else {
      chunks.push(chunk);
    }
  };
  const onEnd = (): void => {
    done(chunks === undefined ? (first ?? EMPTY) : Buffer.concat(chunks, size));
  };
  req.on('data', onData);
  req.on('end', onEnd);
}
