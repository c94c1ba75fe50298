/** Progress on stderr while a run sends: a bar on a terminal, a line every 100,000 otherwise. */
import { SingleBar } from 'cli-progress';

export interface Progress {
  onProgress(done: number, total: number): void;
  /** Ends a running bar, so what is printed next goes below it; before the bar, does nothing. */
  stop(): void;
}

/** A bar with the current rate (over the last second) on a terminal; a line every 100,000 otherwise. */
export function progressReporter(): Progress {
  const window: { at: number; done: number }[] = [];
  const currentRate = (done: number): number => {
    const at = Date.now();
    window.push({ at, done });
    while (window.length > 2 && at - (window[1] as { at: number }).at >= 1000) window.shift();
    const first = window[0] as { at: number; done: number };
    return at === first.at ? 0 : Math.round(((done - first.done) * 1000) / (at - first.at));
  };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: '  {bar} {percentage}% | {value}/{total} | {rate} req/s | {duration}s',
      stream: process.stderr,
      hideCursor: true,
    });
    let state: 'idle' | 'running' | 'stopped' = 'idle';
    return {
      onProgress(done, total) {
        if (state === 'stopped') return;
        const rate = currentRate(done);
        if (state === 'idle') bar.start(total, done, { rate });
        state = 'running';
        bar.update(done, { rate });
      },
      stop() {
        if (state !== 'running') return;
        bar.stop();
        state = 'stopped';
      },
    };
  }
  let started = 0;
  let printed = 0;
  return {
    onProgress(done, total) {
      if (started === 0) started = Date.now();
      const step = done === total ? total : Math.floor(done / 100_000) * 100_000;
      if (step <= printed) return;
      printed = step;
      const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 1e-3));
      process.stderr.write(`  ${done}/${total} requests (${rate} req/s on average)\n`);
    },
    stop() {},
  };
}
