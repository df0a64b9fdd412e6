import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { hasTaskset } from './pinned-process.ts';

/** What every result is reported with: the machine, core counts and versions (06-quality.md). */
export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  gatewayVersion: string;
  portkeyVersion: string;
  autocannonVersion: string;
  taskset: boolean;
  /** 1-minute load averages when the run started and ended: other work on the machine shows here. */
  loadAverageAtStart: number;
  loadAverageAtEnd: number | null;
}

function packageVersion(repoRoot: string, path: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** The CPU model as /proc/cpuinfo names it (os.cpus() may truncate it on some hypervisors). */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // Not Linux: fall back to Node's view.
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(repoRoot: string): MachineDescription {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    gatewayVersion: packageVersion(repoRoot, 'apps/server/package.json'),
    portkeyVersion: packageVersion(repoRoot, 'node_modules/@portkey-ai/gateway/package.json'),
    autocannonVersion: packageVersion(repoRoot, 'node_modules/autocannon/package.json'),
    taskset: hasTaskset(),
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
    loadAverageAtEnd: null,
  };
}

export function finishMachineDescription(machine: MachineDescription): void {
  machine.loadAverageAtEnd = Math.round(loadavg()[0]! * 100) / 100;
}
