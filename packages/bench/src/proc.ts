import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** CPU time and memory of one process, from /proc/<pid>/stat. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** User + system time of the process itself, in clock ticks. */
  cpuTicks: number;
  /** User + system time of its children that it waited for, in clock ticks. */
  childrenCpuTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf('(')).trim());
  // After ")": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17)
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid,
    ppid: field(4),
    cpuTicks: field(14) + field(15),
    childrenCpuTicks: field(16) + field(17),
  };
}

/** VmHWM (the peak resident set) from /proc/<pid>/status, in bytes. */
export function parsePeakRss(status: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Socket inodes in LISTEN state on `port`, from /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(table: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const state = columns[3];
    const inode = columns[9];
    if (!local || !inode) continue;
    const localPort = Number.parseInt(local.split(':').at(-1) ?? '', 16);
    if (state === '0A' && localPort === port) inodes.push(inode);
  }
  return inodes;
}

/** The stat of a running process, or undefined when it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readPeakRss(pid: number): number {
  try {
    return parsePeakRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** The process listening on a TCP port on this machine, found through its socket's inode. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
      try {
        return listeningInodes(readFileSync(file, 'utf8'), port);
      } catch {
        return [];
      }
    }),
  );
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return Number(entry);
      } catch {
        // closed while we looked
      }
    }
  }
  return undefined;
}

/**
 * CPU ticks of a process and of every live descendant, plus what reaped children used: the
 * whole tree's time, e.g. PostgreSQL's postmaster and its backends.
 */
export function treeCpuTicks(root: number, stats: readonly ProcStat[]): number {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const rootStat = stats.find((s) => s.pid === root);
  if (!rootStat) return Number.NaN;
  let total = 0;
  const pending = [rootStat];
  while (pending.length > 0) {
    const stat = pending.pop() as ProcStat;
    total += stat.cpuTicks + stat.childrenCpuTicks;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return total;
}

export function allProcStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => readProcStat(Number(entry)) ?? []);
}
