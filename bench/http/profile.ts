/** Reads a `node --cpu-prof` profile and names where the samples landed (self time). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

export interface HotSpot {
  readonly name: string;
  /** Share of all samples, idle included, in percent. */
  readonly percent: number;
}

/** The main thread's profile in `dir`; file names end in `.<pid>.<thread>.<seq>.cpuprofile`. */
export function mainThreadProfile(dir: string, pid: number): string | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.includes(`.${pid}.0.`));
  return file === undefined ? undefined : join(dir, file);
}

export function hotSpots(file: string, root: string, top = 15): HotSpot[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const count = node.hitCount ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` ${url.replace(`file://${root}/`, '')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${where}`;
    hits.set(name, (hits.get(name) ?? 0) + count);
    total += count;
  }
  return [...hits]
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(([name, count]) => ({ name, percent: (100 * count) / total }));
}
