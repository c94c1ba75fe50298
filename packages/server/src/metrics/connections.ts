import { readFile } from 'node:fs/promises';

/** `st` of a socket in ESTABLISHED state, in /proc/net/tcp (include/net/tcp_states.h). */
const ESTABLISHED = '01';

/**
 * Established TCP connections whose local port is `port`, from /proc/net/tcp and tcp6: the
 * server side of every client connection, whichever worker (thread or process) holds it. Read
 * only when /metrics is scraped. uWebSockets.js tells nothing when an HTTP connection opens or
 * closes, so counting them here is the one way that works the same on every adapter.
 * `undefined` where there is no /proc (not Linux).
 */
export async function establishedConnections(port: number): Promise<number | undefined> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let found = false;
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch {
      continue;
    }
    found = true;
    // "  sl  local_address rem_address   st …": fields 1 (address:port, hex) and 3 (state).
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === ESTABLISHED && fields[1]?.endsWith(local)) count++;
    }
  }
  return found ? count : undefined;
}
