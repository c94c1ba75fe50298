/** A few raw HTTP calls the Redis tests make against a real server (fetch, real sockets). */

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, headers: response.headers, body };
}

export async function postEvent(url: string, userId: string, value: number): Promise<Answer> {
  const response = await fetch(`${url}/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, value }),
  });
  return answer(response);
}

export async function postEvents(
  url: string,
  events: readonly { userId: string; value: number }[],
): Promise<Answer> {
  const response = await fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  return answer(response);
}

export async function get(url: string, path: '/stats' | '/health'): Promise<Answer> {
  return answer(await fetch(`${url}${path}`));
}

/** Polls `ok` every 50 ms, at most `tries` times (not a timed assertion: it bounds a wait). */
export async function eventually(ok: () => Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}
