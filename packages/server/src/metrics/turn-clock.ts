/**
 * `performance.now()` at the start of the current event-loop turn, read once per turn: every
 * request read in one turn (one poll of the sockets) shares it as its start. A clock read costs
 * 30-150 ns here; two per request were most of what metrics cost on uWS, where a whole request
 * takes a few microseconds. A request that waited behind others of its turn counts that wait,
 * which its client saw too.
 */
let start = 0;
let stale = true;
const expire = (): void => {
  stale = true;
};

export function turnStart(): number {
  if (stale) {
    stale = false;
    start = performance.now();
    // Runs in the check phase, after every I/O callback of this turn.
    setImmediate(expire);
  }
  return start;
}
