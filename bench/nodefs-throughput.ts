/**
 * `node.fs` (node's fs API on a simulated node's disk) against memfs, in the same run: 4 KiB
 * random reads and writes (half each) on one prefilled file, through the promises API's
 * FileHandle (64 in flight) and through the sync API (`readSync`/`writeSync`). Prints operations
 * per CPU-second and the ratio to memfs doing the same through the same API.
 *
 *   node dist/bench/nodefs-throughput.js [--ops N] [--file-mib M] [--depth D] [--rounds R]
 *                                        [--against OTHER_BUILD/dist/bench/nodefs-throughput.js]
 *
 * Every variant runs in its own child process (no shared JIT or heap), interleaved over rounds;
 * each round's ratios are printed next to their median.
 */
import { numberFlag } from './args.js';
import { xorshiftStream } from './rng.js';
import { memfs } from 'memfs';
import { Simulation } from '../src/backends/sim/index.js';

const OPS = numberFlag('ops', 200_000);
const FILE_BYTES = numberFlag('file-mib', 32) * 1024 * 1024;
const DEPTH = numberFlag('depth', 64);
const BLOCK = 4096;
const BLOCKS = FILE_BYTES / BLOCK;

/** The slice of a FileHandle both contenders offer. */
interface Handle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** The slice of the fs module both contenders offer. */
interface FsShape {
  openSync(path: string, flags: string): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
  promises: { open(path: string, flags: string): Promise<Handle> };
}

async function promisesLoop(handle: Handle, ops: number): Promise<number> {
  let issued = 0;
  // CPU time, not wall time: the machine is shared.
  const start = process.cpuUsage();
  const lanes: Promise<void>[] = [];
  for (let lane = 0; lane < DEPTH; lane++) {
    const next = xorshiftStream(lane + 1);
    const buffer = new Uint8Array(BLOCK).fill(lane);
    lanes.push((async () => {
      while (issued < ops) {
        issued++;
        const r = next();
        const offset = (r % BLOCKS) * BLOCK;
        if ((r & 0x8000_0000) === 0) await handle.read(buffer, 0, BLOCK, offset);
        else await handle.write(buffer, 0, BLOCK, offset);
      }
    })());
  }
  await Promise.all(lanes);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function syncLoop(fs: FsShape, fd: number, ops: number): number {
  const next = xorshiftStream(7);
  const buffer = new Uint8Array(BLOCK).fill(1);
  const start = process.cpuUsage();
  for (let i = 0; i < ops; i++) {
    const r = next();
    const offset = (r % BLOCKS) * BLOCK;
    if ((r & 0x8000_0000) === 0) fs.readSync(fd, buffer, 0, BLOCK, offset);
    else fs.writeSync(fd, buffer, 0, BLOCK, offset);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function prefillSync(fs: FsShape, fd: number): void {
  const chunk = new Uint8Array(1 << 20).fill(0x5a);
  for (let o = 0; o < FILE_BYTES; o += chunk.byteLength) fs.writeSync(fd, chunk, 0, chunk.byteLength, o);
}

async function measure(fs: FsShape, api: 'promises' | 'sync'): Promise<number> {
  const fd = fs.openSync('/f', 'w+');
  prefillSync(fs, fd);
  if (api === 'sync') {
    syncLoop(fs, fd, Math.min(OPS, 20_000));
    const seconds = syncLoop(fs, fd, OPS);
    fs.closeSync(fd);
    return OPS / seconds;
  }
  fs.closeSync(fd);
  const handle = await fs.promises.open('/f', 'r+');
  await promisesLoop(handle, Math.min(OPS, 20_000));
  const seconds = await promisesLoop(handle, OPS);
  await handle.close();
  return OPS / seconds;
}

async function simFs(api: 'promises' | 'sync'): Promise<number> {
  const sim = new Simulation({ seed: 1 });
  const node = sim.node('bench');
  const fs = (node as unknown as { fs: FsShape }).fs;
  return sim.run(() => measure(fs, api));
}

const VARIANTS: Record<string, { label: string; base: string; run: () => Promise<number> }> = {
  'memfs-promises': { label: 'memfs promises FileHandle', base: 'memfs-promises', run: () => measure(memfs().fs as unknown as FsShape, 'promises') },
  'nodefs-promises': { label: 'node.fs promises FileHandle', base: 'memfs-promises', run: () => simFs('promises') },
  'memfs-sync': { label: 'memfs readSync/writeSync', base: 'memfs-sync', run: () => measure(memfs().fs as unknown as FsShape, 'sync') },
  'nodefs-sync': { label: 'node.fs readSync/writeSync', base: 'memfs-sync', run: () => simFs('sync') },
};

const variantIndex = process.argv.indexOf('--variant');
if (variantIndex >= 0) {
  const name = process.argv[variantIndex + 1] ?? '';
  const variant = VARIANTS[name];
  if (variant === undefined) throw new Error(`unknown variant ${name}`);
  console.log(JSON.stringify({ opsPerSec: await variant.run() }));
} else {
  // Parent: every contender in its own process (no shared JIT or heap), all of them once per
  // round, in a rotating order, so a noisy machine hurts every contender alike. With
  // `--against <another build's dist/bench/nodefs-throughput.js>`, that build's node.fs variants
  // run in the same rounds ("before"), for before/after figures from one run.
  const { execFileSync } = await import('node:child_process');
  const rounds = numberFlag('rounds', 3);
  const againstIndex = process.argv.indexOf('--against');
  const against = againstIndex >= 0 ? process.argv[againstIndex + 1] : undefined;
  const passOn: string[] = [];
  for (const name of ['ops', 'file-mib', 'depth']) {
    const i = process.argv.indexOf(`--${name}`);
    if (i >= 0) passOn.push(`--${name}`, process.argv[i + 1] as string);
  }
  interface Contender { readonly key: string; readonly label: string; readonly base: string; readonly script: string; readonly variant: string }
  const contenders: Contender[] = Object.entries(VARIANTS).map(([key, v]) => ({ key, label: v.label, base: v.base, script: process.argv[1] as string, variant: key }));
  if (against !== undefined) {
    for (const key of ['nodefs-promises', 'nodefs-sync']) {
      const v = VARIANTS[key] as { label: string; base: string };
      contenders.push({ key: `before-${key}`, label: `${v.label} (before)`, base: v.base, script: against, variant: key });
    }
  }
  const results = new Map<string, number[]>();
  for (const c of contenders) results.set(c.key, []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length] as Contender;
      const out = execFileSync(process.execPath, [...process.execArgv, c.script, ...passOn, '--variant', c.variant], { encoding: 'utf8' });
      const lines = out.trim().split('\n');
      const parsed = JSON.parse(lines[lines.length - 1] as string) as { opsPerSec: number };
      (results.get(c.key) as number[]).push(parsed.opsPerSec);
    }
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };
  const fmtOps = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`4 KiB random read/write 50/50, ${FILE_BYTES / 1048576} MiB file, promises ${DEPTH} in flight, ${OPS} ops, median of ${rounds} rounds`);
  console.log(`${'contender'.padEnd(40)}${'ops/cpu-s'.padStart(12)}  ratio (median of per-round ratios; each round's ratios)`);
  for (const c of contenders) {
    const list = results.get(c.key) as number[];
    const baseList = results.get(c.base) as number[];
    // Ratio within each round (the contenders ran in the same minute), then the median: steadier
    // than the ratio of the medians on a shared machine.
    const ratios = list.map((v, i) => v / (baseList[i] as number));
    const perRound = ratios.map((r) => r.toFixed(2)).join(' ');
    console.log(`${c.label.padEnd(40)}${fmtOps(median(list)).padStart(12)}  ${median(ratios).toFixed(2)}x ${c.base} (${perRound})`);
  }
  if (against !== undefined) {
    for (const key of ['nodefs-promises', 'nodefs-sync']) {
      const after = results.get(key) as number[];
      const before = results.get(`before-${key}`) as number[];
      const ratios = after.map((v, i) => v / (before[i] as number));
      console.log(`${key} after / before: ${median(ratios).toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(' ')})`);
    }
  }
}
