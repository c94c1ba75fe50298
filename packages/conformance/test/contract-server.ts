/**
 * The smallest node:http server over the contract, with hooks to break it on purpose: the
 * conformance test runs the suite against such mutants to show the suite can fail.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerUnderTest } from '@1mrc/conformance';
import { createStats } from '@1mrc/core';
import { createContract, type Reply, type RequestHead } from '@1mrc/core/http';
import type { ServeOptions } from '@1mrc/server';

export interface Mutation {
  readonly head?: (head: RequestHead) => RequestHead;
  readonly reply?: (reply: Reply) => Reply;
}

export async function serveMutant(options: ServeOptions, mutation: Mutation = {}): Promise<ServerUnderTest> {
  const { store = createStats(), ...limits } = options;
  const contract = createContract({ ...limits, store });
  const server = createServer(async (req, res) => {
    const write = (reply: Reply): void => {
      const { status, headers, body } = mutation.reply?.(reply) ?? reply;
      res.writeHead(status, { ...headers, 'content-length': body.byteLength }).end(body);
    };
    const length = req.headers['content-length'];
    const head = {
      method: req.method ?? '',
      url: req.url ?? '/',
      contentType: req.headers['content-type'],
      contentLength: length === undefined ? undefined : Number(length),
      authorization: req.headers.authorization,
    };
    const route = contract.route(mutation.head?.(head) ?? head);
    if (route.limit === undefined) return write(await route.reply);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > route.limit) {
          res.shouldKeepAlive = false;
          return write(contract.tooLarge);
        }
        chunks.push(chunk);
      }
    } catch {
      return; // The client hung up mid-body: nobody to answer, nothing to count.
    }
    write(await route.handle(Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
