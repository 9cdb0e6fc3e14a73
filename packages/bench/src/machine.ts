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
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    node: process.version,
  };
}
