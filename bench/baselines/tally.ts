/**
 * What every bare baseline does with an event, written the way a user without our contract
 * would: `JSON.parse`, a `Set`, a running float sum and a counter. No validation beyond
 * "is it JSON with a string userId and a number value", so the baselines show what the
 * framework alone costs.
 */
export interface Tally {
  /** Records one `POST /event` body; false when it is not a usable event. */
  record(body: string): boolean;
  /** The `/stats` answer. */
  stats(): string;
}

export const OK_BODY = '{"status":"ok"}';

export function createTally(): Tally {
  const users = new Set<string>();
  let sum = 0;
  let count = 0;
  return {
    record(body) {
      let event: { userId?: unknown; value?: unknown };
      try {
        event = JSON.parse(body);
      } catch {
        return false;
      }
      if (typeof event.userId !== 'string' || typeof event.value !== 'number') return false;
      users.add(event.userId);
      sum += event.value;
      count++;
      return true;
    },
    stats() {
      const avg = count === 0 ? 0 : sum / count;
      return JSON.stringify({ totalRequests: count, uniqueUsers: users.size, sum, avg });
    },
  };
}

/** Reads `PORT` the way the examples do; the harness always sets it. */
export function portFromEnv(): number {
  const port = Number(process.env['PORT'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Expected PORT to be a port number, got ${process.env['PORT']}`);
  }
  return port;
}

/** Same shutdown contract as the examples: on SIGTERM/SIGINT close, print `final {json}`, exit 0. */
export function onStop(tally: Tally, close: () => Promise<void>): void {
  const stop = async (): Promise<void> => {
    await close();
    console.log(`final ${tally.stats()}`);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
