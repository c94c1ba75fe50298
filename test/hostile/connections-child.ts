/**
 * The client of the many-connections test, in a process of its own so that its open-file limit
 * can be raised (see `startChild`). Run with `<url> <connections> <pauseMs>`. Opens the
 * connections (fewer if its open-file limit is lower), at most 256 connecting at once; each sends `POST /event`, waits for the answer,
 * pauses, and sends again, until `stop` arrives on stdin. Prints `open {…}` once every
 * connection was answered (or failed), and `stopped {…}` once each had its last answer.
 */
import { createInterface } from 'node:readline';
import { type Answer, openFileLimit, postEvent, RawConnection } from '@1mrc/testkit';
import { sleep } from './load.js';

const [url = '', countArg = '0', pauseArg = '0'] = process.argv.slice(2);
const fileLimit = openFileLimit(process.pid) ?? Number.POSITIVE_INFINITY;
/** Room kept for what else the process has open. */
const SPARE_FILES = 100;
const count = Math.min(Number(countArg), fileLimit - SPARE_FILES);
const pauseMs = Number(pauseArg);
const CONNECTING = 256;

const statuses: Record<number, number> = {};
const errors: Record<string, number> = {};
let answeredOnce = 0;
let failed = 0;
let stopping = false;
const started = Date.now();

const fail = (error: unknown): void => {
  const kind = (error as { code?: string }).code ?? (error as Error).message;
  errors[kind] = (errors[kind] ?? 0) + 1;
  failed++;
};

/** One connection's life; resolves once it is stopped (or broken). */
async function run(i: number, connected: () => void): Promise<void> {
  let connection: RawConnection;
  try {
    connection = await RawConnection.open(url);
  } catch (error) {
    fail(error);
    return;
  } finally {
    connected();
  }
  const request = postEvent(url, `{"userId":"c${i}","value":1}`);
  try {
    for (let first = true; !stopping; first = false) {
      const [answer] = await connection.send(request);
      const { status } = answer as Answer;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (first) answeredOnce++;
      // Spread over the pause, so the connections do not all send at the same moment.
      await sleep(pauseMs * (first ? Math.random() : 1));
    }
  } catch (error) {
    fail(error);
  } finally {
    connection.destroy();
  }
}

let connecting = 0;
let next = 0;
const lives: Promise<void>[] = [];
await new Promise<void>((allStarted) => {
  const open = (): void => {
    while (connecting < CONNECTING && next < count) {
      connecting++;
      lives.push(
        run(next++, () => {
          connecting--;
          open();
        }),
      );
    }
    if (next === count) allStarted();
  };
  open();
});
while (answeredOnce + failed < count) await sleep(50);
const ms = Date.now() - started;
console.log(
  `open ${JSON.stringify({ target: count, connections: answeredOnce, failed, errors, ms, fileLimit })}`,
);

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line !== 'stop') return;
  stopping = true;
  await Promise.all(lives);
  console.log(`stopped ${JSON.stringify({ statuses, errors })}`);
  process.exit(0);
});
