/** A description of the machine the figures come from, for the report header. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly libuv: string;
  /** File system type of the bench directory (`df -T`, else `stat -f`). */
  readonly fileSystem: string;
  readonly virtualized: boolean;
  readonly fio: string | undefined;
  /** 1-minute load average when the run started. */
  readonly loadAverage1m?: number;
}

function run(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function fileSystemOf(path: string): string {
  const df = run('df', ['-T', path]);
  const type = df?.split('\n')[1]?.trim().split(/\s+/)[1];
  if (type !== undefined && type !== '') return type;
  return run('stat', ['-f', '-c', '%T', path]) ?? 'unknown';
}

export function describeMachine(benchDir: string, fio: string | undefined): MachineInfo {
  const cpus = os.cpus();
  let virtualized = false;
  try {
    virtualized = /^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // Not Linux: leave it unknown (false).
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    libuv: process.versions.uv ?? 'unknown',
    fileSystem: fileSystemOf(benchDir),
    virtualized,
    fio,
    loadAverage1m: os.loadavg()[0] ?? 0,
  };
}

/** Multi-line text for the console and the report. */
export function machineLines(info: MachineInfo): string[] {
  return [
    `CPU: ${info.cpuModel} × ${info.cpuCount}${info.virtualized ? ' (virtual machine)' : ''}`,
    `Memory: ${(info.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    `Kernel: ${info.kernel}`,
    `Node: ${info.node} (libuv ${info.libuv})`,
    `Bench directory file system: ${info.fileSystem}`,
    `fio: ${info.fio ?? 'not installed (apt-get install fio) — fio rows are skipped'}`,
    ...(info.loadAverage1m === undefined ? [] : [`Load average (1 min) at start: ${info.loadAverage1m.toFixed(1)}${info.loadAverage1m > info.cpuCount * 0.5 ? ' — other work is running: expect noise' : ''}`]),
  ];
}
