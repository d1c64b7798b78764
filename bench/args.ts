/** Command-line options of `npm run bench`. */
import { WORKLOAD_IDS, type WorkloadId } from './types.js';

export interface BenchOptions {
  /** Smoke profile: few short runs on small files (what CI runs). */
  readonly quick: boolean;
  /** Workloads to run (all by default). */
  readonly only: readonly WorkloadId[];
  /** Run the other areas' benchmark scripts too (default; with `--only`, only if `extras` is named). */
  readonly extras: boolean;
  /** Runs per measurement (overrides the profile). */
  readonly runs: number | undefined;
  /** Directory to write BENCHMARKS.md and the charts to (default: the repository for full runs). */
  readonly outDir: string | undefined;
  /** Keep the data files after the run (for inspection). */
  readonly keepFiles: boolean;
  /** Measure nothing: rewrite the report and charts from a saved results file. */
  readonly renderFrom: string | undefined;
  readonly help: boolean;
}

/** `--only` name selecting the other benchmark scripts. */
export const EXTRAS = 'extras';

export const USAGE = `usage: npm run bench -- [--quick] [--only <workload>[,<workload>...]] [--runs <n>] [--out <dir>] [--keep-files]
       npm run bench -- --render <results.json> [--out <dir>]

  --quick        smoke profile: small files, short runs (under two minutes)
  --only         run only these workloads: ${WORKLOAD_IDS.join(', ')}, extras
                 (extras: the other benchmark scripts in bench/, run as they are)
  --runs         runs per measurement (default: 5, quick: 1)
  --out          write BENCHMARKS.md and charts to <dir> (default: the repository for a full
                 run of every workload, <repo>/.bench-tmp/report otherwise)
  --keep-files   do not delete the data files afterwards
  --render       measure nothing; rewrite BENCHMARKS.md and the charts from the figures a run
                 saved (.bench-tmp/last-results.json), e.g. after changing the report code`;

/** Parses `argv` (without node and the script). Throws a RangeError with a readable message. */
export function parseArgs(argv: readonly string[]): BenchOptions {
  let quick = false;
  let keepFiles = false;
  let help = false;
  let runs: number | undefined;
  let outDir: string | undefined;
  let renderFrom: string | undefined;
  const only: WorkloadId[] = [];
  let onlyGiven = false;
  let extras = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new RangeError(`${flag} needs a value`);
      i += 1;
      return next;
    };
    switch (flag) {
      case '--quick': quick = true; break;
      case '--keep-files': keepFiles = true; break;
      case '--help': case '-h': help = true; break;
      case '--out': outDir = value(); break;
      case '--render': renderFrom = value(); break;
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new RangeError('--runs must be an integer from 1 to 100');
        runs = n;
        break;
      }
      case '--only':
        onlyGiven = true;
        for (const name of value().split(',')) {
          if (name === EXTRAS) {
            extras = true;
            continue;
          }
          if (!(WORKLOAD_IDS as readonly string[]).includes(name)) {
            throw new RangeError(`unknown workload ${name}; known: ${WORKLOAD_IDS.join(', ')}`);
          }
          if (!only.includes(name as WorkloadId)) only.push(name as WorkloadId);
        }
        break;
      default:
        throw new RangeError(`unknown option ${arg}`);
    }
  }
  if (!onlyGiven) return { quick, only: [...WORKLOAD_IDS], extras: true, runs, outDir, keepFiles, renderFrom, help };
  return { quick, only, extras, runs, outDir, keepFiles, renderFrom, help };
}

/** The number after `--name` on the command line, or `fallback` (the side benchmarks' flags). */
export function numberFlag(name: string, fallback: number, argv: readonly string[] = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}
