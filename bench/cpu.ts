// CPU accounting from /proc (Linux). This machine is shared with other work, so besides
// throughput the benchmark records (a) the CPU time the measured server spent per request, which
// is much less sensitive to contention than req/s, and (b) how much CPU *other* processes used
// during each measurement ("background", in cores), so a disturbed figure can be recognised.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = ((): number => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10; // CLK_TCK is 100 on practically every Linux
  }
})();

/** user + system CPU time of a process (all its threads), ms; 0 if it has gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU time all cores spent busy (not idle / iowait) since boot, ms. */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * TICK_MS;
}

/** This process's own CPU time, ms (finer-grained than /proc ticks). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
