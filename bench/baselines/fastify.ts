/**
 * Bare fastify, logger off: the body reaches the handler as a string (a `parseAs: 'string'`
 * parser that hands it through) and the handler does its own `JSON.parse`, answering a
 * pre-serialised string. fastify's default JSON parser (secure-json-parse, handing the handler
 * an object) measured the same server CPU per request (18.7 against 18.6 µs, median of 5 runs),
 * so the baseline keeps the one where the handler does the same work as the other baselines.
 */
import { createRequire } from 'node:module';
import { createTally, OK_BODY, onStop, portFromEnv } from './tally.js';

// fastify is a dependency of the adapter package, not of the workspace root.
const require = createRequire(new URL('../../packages/adapter-fastify/package.json', import.meta.url));

// The few fastify calls used here, typed structurally: its own types do not resolve from bench/.
interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(payload: string): Reply;
}
type Done = (error: Error | null, body?: string) => void;
interface App {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string' },
    parser: (request: unknown, body: string, done: Done) => void,
  ): void;
  post(path: string, handler: (request: { body: string }, reply: Reply) => Reply): void;
  get(path: string, handler: (request: unknown, reply: Reply) => Reply): void;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
const fastify = require('fastify') as (options: { logger: boolean }) => App;

const tally = createTally();
const app = fastify({ logger: false });

app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
  done(null, body),
);
app.post('/event', (request, reply) => {
  const ok = tally.record(request.body);
  return reply
    .code(ok ? 200 : 400)
    .header('content-type', 'application/json')
    .send(ok ? OK_BODY : '{"error":"bad event"}');
});
app.get('/stats', (_request, reply) => reply.header('content-type', 'application/json').send(tally.stats()));
app.get('/health', (_request, reply) => reply.header('content-type', 'application/json').send(OK_BODY));

const url = await app.listen({ port: portFromEnv(), host: '127.0.0.1' });
console.log(`fastify-bare listening on ${url}`);
onStop(tally, () => app.close());
