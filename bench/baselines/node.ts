/** Bare node:http: the fastest handler a node user would write for the challenge. */
import { createServer } from 'node:http';
import { createTally, OK_BODY, onStop, portFromEnv } from './tally.js';

const tally = createTally();
const JSON_TYPE = { 'content-type': 'application/json' };

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/event') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const ok = tally.record(body.toString());
      res.writeHead(ok ? 200 : 400, JSON_TYPE).end(ok ? OK_BODY : '{"error":"bad event"}');
    });
  } else if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, JSON_TYPE).end(tally.stats());
  } else if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, JSON_TYPE).end(OK_BODY);
  } else {
    res.writeHead(404, JSON_TYPE).end('{"error":"not found"}');
  }
});

server.listen(portFromEnv(), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`node-bare listening on http://127.0.0.1:${port}`);
});
onStop(tally, () => new Promise((resolve) => server.close(() => resolve())));
