import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Where a benchmark ran: figures from different machines are not comparable, so every report carries this. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  platform: string;
  totalMemoryGiB: number;
  /** One-minute load average when the run started: a busy machine explains slow figures. */
  loadAverage1m: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cpuCount: processors.length,
    platform: `${platform()} ${release()} ${arch()}`,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: loadAverage()[0],
    node: process.version,
  };
}

/** The 1, 5 and 15-minute load averages, to two places. Reports give them at the start and at the end. */
export function loadAverage(): [number, number, number] {
  const [one = 0, five = 0, fifteen = 0] = loadavg().map((value) => Math.round(value * 100) / 100);
  return [one, five, fifteen];
}
