/**
 * Command-line parsing for `faultline`: `node:util` `parseArgs` plus value checks. Every bad input
 * becomes a {@link UsageError}, which `main` prints as one line and turns into exit code 2.
 */
import { parseArgs } from 'node:util';
import { LATENCY_PRESETS, type LatencyPresetName } from './sim-api.js';
import { FAULT_PRESETS, SIM_PROFILES, type FaultPresetName, type SimProfile } from './workload.js';

/** Bad command-line input: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Most seeds one `sim` invocation runs; a longer campaign is sharded with `--from`. */
export const SEED_COUNT_MAX = 100_000_000;
/** Most worker threads. */
export const WORKERS_MAX = 256;
/** Most `--option` pairs. */
export const OPTIONS_MAX = 64;

export interface SimArgs {
  readonly command: 'sim';
  readonly workload: string;
  readonly seedFrom: number;
  readonly seedCount: number;
  readonly workers: number | undefined;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  readonly json: boolean;
  readonly failFast: boolean;
  readonly verbose: boolean;
}

export interface ReplayArgs {
  readonly command: 'replay';
  readonly workload: string;
  readonly seed: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  readonly trace: boolean;
  readonly json: boolean;
}

export interface DemoArgs {
  readonly command: 'demo';
  readonly quick: boolean;
}

export interface HelpArgs {
  readonly command: 'help';
  readonly topic: string | undefined;
}

export interface ListArgs {
  readonly command: 'list';
}

export interface VersionArgs {
  readonly command: 'version';
}

export type CliArgs = SimArgs | ReplayArgs | DemoArgs | HelpArgs | ListArgs | VersionArgs;

export const COMMANDS = ['sim', 'replay', 'demo', 'list', 'help'] as const;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new UsageError(`--${flag} must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  const found = allowed.find((candidate) => candidate === raw);
  if (found === undefined) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return found;
}

function keyValues(raw: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw === undefined) return out;
  if (raw.length > OPTIONS_MAX) throw new UsageError(`at most ${OPTIONS_MAX} --option flags`);
  for (const pair of raw) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--option must look like key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) throw new UsageError(`--option key must be a word, got '${key}'`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

type OptionSpecs = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(command: string, argv: readonly string[], options: OptionSpecs): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`${command}: ${message}`);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strs(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** Parses `argv` (without node and the script). Throws {@link UsageError} on bad input. */
export function parseCli(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') return { command: 'help', topic: undefined };
  if (command === '--version' || command === '-v') return { command: 'version' };
  switch (command) {
    case 'help':
      return { command: 'help', topic: rest[0] };
    case 'list': {
      const { values } = parse('list', rest, {});
      if (values['help'] === true) return { command: 'help', topic: 'list' };
      return { command: 'list' };
    }
    case 'demo': {
      const { values, positionals } = parse('demo', rest, { quick: { type: 'boolean' } });
      if (values['help'] === true) return { command: 'help', topic: 'demo' };
      if (positionals.length > 0) throw new UsageError(`demo: unexpected argument '${positionals[0]}'`);
      return { command: 'demo', quick: values['quick'] === true };
    }
    case 'sim': {
      const { values, positionals } = parse('sim', rest, {
        seeds: { type: 'string' }, from: { type: 'string' }, workers: { type: 'string' },
        profile: { type: 'string' }, faults: { type: 'string' }, latency: { type: 'string' }, option: { type: 'string', multiple: true },
        json: { type: 'boolean' }, 'fail-fast': { type: 'boolean' }, verbose: { type: 'boolean' },
      });
      if (values['help'] === true) return { command: 'help', topic: 'sim' };
      const workload = positionals[0];
      if (workload === undefined) throw new UsageError('sim: missing <workload> (a built-in name such as kv, or a path to a .js/.mjs module)');
      if (positionals.length > 1) throw new UsageError(`sim: unexpected argument '${positionals[1]}'`);
      const seedCount = integer('seeds', str(values['seeds']), 100, 1, SEED_COUNT_MAX);
      const seedFrom = integer('from', str(values['from']), 1, 0, Number.MAX_SAFE_INTEGER - seedCount);
      const workersRaw = str(values['workers']);
      return {
        command: 'sim',
        workload,
        seedFrom,
        seedCount,
        workers: workersRaw === undefined ? undefined : integer('workers', workersRaw, 1, 1, WORKERS_MAX),
        profile: oneOf('profile', str(values['profile']), SIM_PROFILES, 'posix'),
        faults: oneOf('faults', str(values['faults']), FAULT_PRESETS, 'default'),
        latency: oneOf('latency', str(values['latency']), LATENCY_PRESETS, 'default'),
        options: keyValues(strs(values['option'])),
        json: values['json'] === true,
        failFast: values['fail-fast'] === true,
        verbose: values['verbose'] === true,
      };
    }
    case 'replay': {
      const { values, positionals } = parse('replay', rest, {
        seed: { type: 'string' }, profile: { type: 'string' }, faults: { type: 'string' }, latency: { type: 'string' },
        option: { type: 'string', multiple: true }, trace: { type: 'boolean' }, json: { type: 'boolean' },
      });
      if (values['help'] === true) return { command: 'help', topic: 'replay' };
      const workload = positionals[0];
      if (workload === undefined) throw new UsageError('replay: missing <workload>');
      if (positionals.length > 1) throw new UsageError(`replay: unexpected argument '${positionals[1]}'`);
      const seedRaw = str(values['seed']);
      if (seedRaw === undefined) throw new UsageError('replay: missing --seed <n>');
      return {
        command: 'replay',
        workload,
        seed: integer('seed', seedRaw, 0, 0, Number.MAX_SAFE_INTEGER),
        profile: oneOf('profile', str(values['profile']), SIM_PROFILES, 'posix'),
        faults: oneOf('faults', str(values['faults']), FAULT_PRESETS, 'default'),
        latency: oneOf('latency', str(values['latency']), LATENCY_PRESETS, 'default'),
        options: keyValues(strs(values['option'])),
        trace: values['trace'] === true,
        json: values['json'] === true,
      };
    }
    default:
      throw new UsageError(`unknown command '${command}' (try: faultline --help)`);
  }
}

export const HELP: Readonly<Record<string, string>> = {
  main: `faultline: run simulation campaigns against code written on faultline's Io/Storage

Usage:
  faultline sim <workload> [--seeds N] [--from S] [--workers W] [--profile P] [--faults F] [--latency L] [--json]
  faultline replay <workload> --seed S [--profile P] [--faults F] [--latency L] [--trace]
  faultline demo [--quick]
  faultline list
  faultline <command> --help

<workload> is a built-in name (kv, kv:<variant>, replicated-log) or a path to a .js/.mjs module
whose default export has run(ctx). Exit codes: 0 all seeds passed, 1 a seed failed, 2 bad input.`,
  sim: `faultline sim <workload> [options]

Runs the workload once per seed, seeds S..S+N-1, spread over worker threads.

  --seeds N          how many seeds (default 100)
  --from S           first seed (default 1); with --seeds, shards a campaign across machines
  --workers W        worker threads (default: available parallelism)
  --profile P        posix (default), ext4-ordered, writeback or none: what a power cut may lose
  --faults F         none, default (default) or heavy: injected disk faults
  --latency L        default (SSD-like, completions reorder) or none
  --option k=v       passed to the workload in ctx.options (repeatable)
  --fail-fast        stop at the first failing seed
  --json             one JSON document on stdout instead of text
  --verbose          print every failure's workload log

Each failure prints its seed, error, last trace events and a replay command.`,
  replay: `faultline replay <workload> --seed S [options]

Reruns exactly one seed (same profile, faults and options as the campaign) and prints its
result and sim.hash(); the hash is identical on every run of the same seed.

  --seed S           the seed to run (required)
  --profile P        posix (default), ext4-ordered, writeback or none
  --faults F         none, default (default) or heavy
  --latency L        default or none
  --option k=v       passed to the workload in ctx.options (repeatable)
  --trace            print the full trace
  --json             one JSON document on stdout`,
  demo: `faultline demo [--quick]

A one-minute tour: a campaign on the example KV store, a deliberately broken variant caught with
its replay command, then the store on the real disk with its throughput. --quick does less.`,
  list: `faultline list

Lists the built-in workloads and their variants.`,
};
