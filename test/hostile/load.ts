/** Load for the hostile-traffic tests: many requests over many keep-alive connections. */
import { type Answer, RawConnection } from '@1mrc/testkit';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `task` on every item with at most `limit` running at once. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface DriveResult {
  /** How many answers had each status. */
  readonly statuses: Readonly<Record<number, number>>;
  /** How many requests were sent (and answered). */
  readonly sent: number;
  readonly elapsedMs: number;
}

/**
 * Sends `count` requests, `request(i)` for i = 0, 1, …, over `connections` keep-alive
 * connections, each waiting for its answer before its next request; with `forMs`, starts no
 * request after that long (so fewer than `count` on a slow machine).
 */
export async function drive(
  url: string,
  connections: number,
  count: number,
  request: (i: number) => string,
  { forMs = Number.POSITIVE_INFINITY }: { readonly forMs?: number } = {},
): Promise<DriveResult> {
  const statuses: Record<number, number> = {};
  const started = Date.now();
  const more = (): boolean => next < count && Date.now() - started < forMs;
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const connection = await RawConnection.open(url);
      try {
        while (more()) {
          const [answer] = await connection.send(request(next++));
          const status = (answer as Answer).status;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      } finally {
        connection.destroy();
      }
    }),
  );
  return { statuses, sent: next, elapsedMs: Date.now() - started };
}
