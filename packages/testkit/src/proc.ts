/** What Linux's /proc says about a running process: CPU time used, memory held, limits (proc(5)). */
import { readdirSync, readFileSync } from 'node:fs';
import { processUsage } from '@1mrc/client';

/** User + system CPU seconds the process has used so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const usage = processUsage(pid);
  if (usage === undefined) throw new Error(`/proc/${pid} cannot say how much CPU it used`);
  return usage.cpuSeconds;
}

export interface Memory {
  /** Resident set size now, in bytes. */
  readonly rss: number;
  /** Peak resident set size ("high water mark", VmHWM), in bytes. */
  readonly peak: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The process and all its descendants (a cluster primary and its workers). */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i] as number;
    for (const task of safeList(`/proc/${parent}/task`)) {
      const children = safeRead(`/proc/${parent}/task/${task}/children`).trim();
      if (children) tree.push(...children.split(/\s+/).map(Number));
    }
  }
  return tree;
}

/** CPU seconds of the process and its descendants. */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((total, p) => total + cpuSeconds(p), 0);
}

/** Memory of the process and its descendants, added up (peaks too: an upper bound). */
export function treeMemory(pid: number): Memory {
  return processTree(pid)
    .map(memory)
    .reduce((a, b) => ({ rss: a.rss + b.rss, peak: a.peak + b.peak }));
}

/** The soft limit on open files of process `pid`, or undefined where /proc cannot say. */
export function openFileLimit(pid: number): number | undefined {
  const soft = /^Max open files\s+(\d+)/m.exec(safeRead(`/proc/${pid}/limits`))?.[1];
  return soft === undefined ? undefined : Number(soft);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
