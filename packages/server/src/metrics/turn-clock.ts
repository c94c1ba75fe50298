/**
 * The clock of the current event-loop turn, read twice per turn rather than twice per request: at
 * the first request of a turn (its start, which every request read in that turn shares) and once
 * the turn's I/O is done (its end, in a `setImmediate`, which runs in the check phase after every
 * I/O callback of the turn). A reply given in the turn that read its head is timed as that whole
 * turn. A clock read costs 30-150 ns here; one per request was most of what metrics still cost on
 * uWS, where a whole request takes a few microseconds (docs/benchmarks.md#metrics). A request
 * that waited behind others of its turn counts that wait, which its client saw too, and one
 * answered early in a busy turn counts the rest of the turn, which its client did not.
 */
let start = 0;
let open = false;
/** The observers of this turn's end: the first `waiting` entries (the array is reused, not cut). */
const ended: Array<(seconds: number) => void> = [];
let waiting = 0;

const end = (): void => {
  open = false;
  if (waiting === 0) return;
  const seconds = (performance.now() - start) / 1000;
  for (let i = 0; i < waiting; i++) (ended[i] as (seconds: number) => void)(seconds);
  waiting = 0;
};

/** `performance.now()` at the start of the current turn. */
export function turnStart(): number {
  if (!open) {
    open = true;
    start = performance.now();
    setImmediate(end);
  }
  return start;
}

/** Whether `at`, a value of `turnStart()`, is the start of the turn still running. */
export function inTurn(at: number): boolean {
  return open && at === start;
}

/** Calls `observe` once, at the end of the current turn, with the turn's length in seconds. */
export function atTurnEnd(observe: (seconds: number) => void): void {
  ended[waiting++] = observe;
}
