import type { Reply } from '@1mrc/core/http';

/**
 * A reply's headers as the flat `[name, value, …]` list that `writeHead` takes fastest,
 * with `content-length` added (without it `writeHead` would send the body chunked).
 * Most replies are shared constants, so their list is built once and kept.
 */
const cache = new WeakMap<Reply, string[]>();

export function headerLines(reply: Reply): string[] {
  let lines = cache.get(reply);
  if (lines === undefined) {
    // A HEAD answer carries its own (the GET body's length); any other, its body's.
    lines = 'content-length' in reply.headers ? [] : ['content-length', String(reply.body.byteLength)];
    for (const [name, value] of Object.entries(reply.headers)) lines.push(name, value);
    cache.set(reply, lines);
  }
  return lines;
}
