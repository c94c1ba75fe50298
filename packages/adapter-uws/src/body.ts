import type { HttpResponse } from 'uWebSockets.js';

export interface BodySink {
  onBody(body: Uint8Array): void;
  onTooLarge(): void;
}

/**
 * Reads a request body of at most `limit` bytes, chunked or not, then calls `onBody` once;
 * or calls `onTooLarge` once, as soon as the body grows past `limit`, and ignores the rest.
 * The caller must have registered `res.onAborted` (uWS counts `onData` as async work).
 *
 * uWS lends each chunk's ArrayBuffer for the duration of the callback only and detaches it
 * on return, so a chunk that is kept is copied. The common case, a whole body in one last
 * chunk, is handed over as a view without a copy: `onBody` runs inside the callback and the
 * contract's `handle` reads the body before it returns (see `Route` in @1mrc/core/http).
 * Were anything to keep the view, it would find it detached (empty, or a TypeError on use),
 * never someone else's bytes.
 */
export function readBody(res: HttpResponse, limit: number, sink: BodySink): void {
  let chunks: Uint8Array[] | undefined;
  let size = 0;
  res.onData((chunk, isLast) => {
    if (size > limit) return;
    size += chunk.byteLength;
    if (size > limit) return sink.onTooLarge();
    if (isLast && chunks === undefined) return sink.onBody(new Uint8Array(chunk));
    chunks ??= [];
    chunks.push(new Uint8Array(chunk.slice(0)));
    if (isLast) sink.onBody(concat(chunks, size));
  });
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
