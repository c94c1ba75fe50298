/** What Linux's /proc says about a running process: CPU time used, memory held, limits (proc(5)). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat's times; 100 where getconf cannot say. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
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
