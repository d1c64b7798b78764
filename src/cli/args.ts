/**
 * Command-line parsing for `faultline`: `node:util` `parseArgs` plus value checks. Every bad input
 * becomes a {@link UsageError}, which `main` prints as one line and turns into exit code 2.
 */
import { parseArgs } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';
import { UsageError } from './usage-error.js';
import { partOfRange } from './seed-plan.js';
import { SEED_TIMEOUT_MS_DEFAULT } from './campaign.js';
import { FAULT_KINDS } from '../backends/sim/faults.js';
import type { FaultOccurrence } from './sim-api.js';
import { LATENCY_PRESETS, type LatencyPresetName } from './sim-api.js';
import { FAULT_PRESETS, SIM_PROFILES, type FaultPresetName, type SimProfile } from './workload.js';

export { UsageError };

/** Most seeds one `sim` invocation runs; a longer campaign is sharded with `--from`. */
export const SEED_COUNT_MAX = 100_000_000;
/** Most worker processes. */
export const WORKERS_MAX = 256;
/** Most `--option` pairs. */
export const OPTIONS_MAX = 64;

/** What every seed-running command (sim, replay, shrink) takes alike: the `SEED_RUN_FLAGS`. */
export interface SeedRunSettings {
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  readonly options: Readonly<Record<string, string>>;
  /** Real time one seed (each run of it, for shrink) may take before it fails with `ERR_SEED_TIMEOUT`. */
  readonly seedTimeoutMs: number;
}

export interface SimArgs extends SeedRunSettings {
  readonly command: 'sim';
  readonly workload: string;
  readonly seedFrom: number;
  readonly seedCount: number;
  readonly workers: number | undefined;
  readonly json: boolean;
  readonly failFast: boolean;
  readonly verbose: boolean;
  /** `--shard K/N` (or `--shards N` with the index from the environment): this run's part of the range. */
  readonly shard: ShardSpec | undefined;
  /**
   * `--resume-at R`: the rest of an interrupted range campaign. The campaign stays the one `--from`,
   * `--seeds` and `--shard` name (its records carry that range, so `faultline merge` takes them
   * with the interrupted run's); this run covers its part from seed R on.
   */
  readonly resumeAt: number | undefined;
  /** `--out FILE`: one NDJSON line per seed. */
  readonly out: string | undefined;
  /** Continuous mode: seeds from the stream keyed by `--from`, until this much real time passed... */
  readonly durationMs: number | undefined;
  /** ...or until this many seeds failed. */
  readonly untilFailures: number | undefined;
  readonly intercept: boolean;
  readonly checkDeterminism: boolean;
}

/** One shard of a campaign's range: `k` of `n`, 1-based. */
export interface ShardSpec {
  readonly k: number;
  readonly n: number;
}

/** Most shards a campaign splits into. */
export const SHARDS_MAX = 100_000;

export interface ReplayArgs extends SeedRunSettings {
  readonly command: 'replay';
  readonly workload: string;
  readonly seed: number;
  readonly trace: boolean;
  readonly json: boolean;
  /** Print the error's stack and details (e.g. an ERR_DEADLOCK's pending list) and the whole log. */
  readonly verbose: boolean;
  readonly intercept: boolean;
  readonly checkDeterminism: boolean;
  /** Fault kinds switched off, and single injected faults vetoed (what `shrink` prints). */
  readonly faultsOff: readonly string[];
  readonly vetoes: readonly FaultOccurrence[];
}

export interface ShrinkArgs extends SeedRunSettings {
  readonly command: 'shrink';
  readonly workload: string;
  readonly seed: number;
  readonly json: boolean;
}

/** Most vetoed faults one replay takes. */
export const VETOES_MAX = 10_000;

function faultKindList(raw: readonly string[] | undefined): string[] {
  const kinds = (raw ?? []).flatMap((part) => part.split(',')).filter((k) => k !== '');
  for (const kind of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--faults-off takes fault kinds (${FAULT_KINDS.join(', ')}), got '${kind}'`);
  }
  return kinds;
}

function vetoList(raw: readonly string[] | undefined): FaultOccurrence[] {
  const parts = (raw ?? []).flatMap((part) => part.split(',')).filter((p) => p !== '');
  if (parts.length > VETOES_MAX) throw new UsageError(`at most ${VETOES_MAX} --veto faults`);
  return parts.map((part) => {
    const match = /^([^/]+)\/([A-Za-z]+)\/([1-9][0-9]*)$/.exec(part);
    if (match === null || !(FAULT_KINDS as readonly string[]).includes(match[2]!)) throw new UsageError(`--veto takes node/kind/occurrence (e.g. kv/fsyncError/2), got '${part}'`);
    return { node: match[1]!, kind: match[2]!, occurrence: Number(match[3]) };
  });
}

export interface DemoArgs {
  readonly command: 'demo';
  readonly quick: boolean;
}

export interface HelpArgs {
  readonly command: 'help';
  readonly topic: string | undefined;
  /** False when the help stands in for a missing command (`faultline` alone): printed on stderr, exit 2. */
  readonly asked: boolean;
}

export interface MergeArgs {
  readonly command: 'merge';
  readonly files: readonly string[];
  readonly json: boolean;
}

export interface ListArgs {
  readonly command: 'list';
}

export interface VersionArgs {
  readonly command: 'version';
}

export type CliArgs = SimArgs | ReplayArgs | ShrinkArgs | MergeArgs | DemoArgs | HelpArgs | ListArgs | VersionArgs;

export const COMMANDS = ['sim', 'replay', 'shrink', 'merge', 'demo', 'list', 'help'] as const;

/** Most files one `merge` reads. */
export const MERGE_FILES_MAX = 10_000;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return value;
}

/** Longest duration a flag accepts: one week. */
export const DURATION_MS_MAX = 7 * 24 * 3600 * 1000;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A real-time duration: seconds, or a number with a unit (`500ms`, `30s`, `2m`, `1h`). Written
 * here rather than taken from a package: `ms`, the common one, reads a bare number as milliseconds
 * and accepts words like "2 days"; a bare number means seconds here, and the message is ours.
 */
export function parseDurationMs(flag: string, raw: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(raw.trim());
  const amount = match === null ? NaN : Number(match[1]);
  const valueMs = Math.round(amount * (DURATION_UNITS_MS[match?.[2] ?? 's'] ?? NaN));
  if (!Number.isFinite(valueMs)) throw new UsageError(`--${flag} must be a duration such as 30 (seconds), 30s, 2m or 1h, got '${raw}'`);
  if (valueMs < 1 || valueMs > DURATION_MS_MAX) throw new UsageError(`--${flag} must be between 1ms and 168h, got '${raw}'`);
  return valueMs;
}

/** A duration in words for help and reports: `60s`, `2m`, `1.5h`. */
export function formatDurationMs(valueMs: number): string {
  if (valueMs % 3_600_000 === 0) return `${valueMs / 3_600_000}h`;
  if (valueMs % 60_000 === 0 && valueMs > 60_000) return `${valueMs / 60_000}m`;
  if (valueMs % 1000 === 0) return `${valueMs / 1000}s`;
  return `${valueMs}ms`;
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

type OptionSpecs = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>>;

/** The closest known flag to `name`, when it is close enough to be a typo. */
function suggestion(name: string, flags: readonly string[]): string | undefined {
  const near = closest(name, flags);
  if (near === undefined) return undefined;
  const close = distance(name, near) <= Math.max(2, Math.floor(near.length / 3)) || near.startsWith(name) || name.startsWith(near);
  return close ? near : undefined;
}

/**
 * `node:util` parseArgs, with our own one-line messages: its texts are written for programmers
 * (an unknown flag gets a paragraph about '--' with an unbalanced quote; `--seeds -1` is
 * "ambiguous"). It runs non-strict and we check each token ourselves: unknown flags (with a
 * "did you mean"), string flags without a value, boolean flags given one.
 */
function parse(command: string, argv: readonly string[], options: OptionSpecs): { values: Record<string, unknown>; positionals: string[] } {
  const specs: OptionSpecs = { ...options, help: { type: 'boolean', short: 'h' } };
  // A negative number after a flag that takes a value is that value (then refused by its check).
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const spec = arg.startsWith('--') ? specs[arg.slice(2)] : undefined;
    const next = argv[i + 1];
    if (spec?.type === 'string' && next !== undefined && /^-[0-9.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i += 1;
    } else {
      args.push(arg);
    }
  }
  const { values, positionals, tokens } = parseArgs({ args, options: specs, allowPositionals: true, strict: false, tokens: true });
  const flagList = Object.keys(options).map((name) => `--${name}`).join(', ');
  // The first value of each flag that takes one: a second is refused rather than silently winning
  // (`replay kv --seed 1 ... --seed 2`, a flag pasted twice, must not run another seed than meant).
  const given = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      const near = suggestion(token.name, Object.keys(options));
      const known = flagList === '' ? 'it takes no flags' : `its flags: ${flagList}`;
      throw new UsageError(`${command}: unknown flag ${token.rawName}${near === undefined ? '' : ` (did you mean --${near}?)`}; ${known}`);
    }
    if (spec.type === 'string' && token.value === undefined) throw new UsageError(`${command}: ${token.rawName} needs a value (see faultline ${command} --help)`);
    if (spec.type === 'string' && spec.multiple !== true) {
      const before = given.get(token.name);
      if (before !== undefined) throw new UsageError(`${command}: --${token.name} given twice ('${before}' and '${token.value ?? ''}'); give it once`);
      given.set(token.name, token.value ?? '');
    }
    if (spec.type === 'boolean' && token.inlineValue === true) throw new UsageError(`${command}: ${token.rawName} takes no value, got '${token.rawName}=${token.value ?? ''}'`);
  }
  return { values: values as Record<string, unknown>, positionals };
}

/** Flags of every command that runs seeds: what the simulation is, and how long a seed may run. */
const SEED_RUN_FLAGS: OptionSpecs = {
  profile: { type: 'string' }, faults: { type: 'string' }, latency: { type: 'string' },
  option: { type: 'string', multiple: true }, 'seed-timeout': { type: 'string' },
};

/** The values of {@link SEED_RUN_FLAGS}, checked, with their defaults. */
function seedRunSettings(values: Record<string, unknown>): SeedRunSettings {
  const timeout = str(values['seed-timeout']);
  return {
    profile: oneOf('profile', str(values['profile']), SIM_PROFILES, 'posix'),
    faults: oneOf('faults', str(values['faults']), FAULT_PRESETS, 'default'),
    latency: oneOf('latency', str(values['latency']), LATENCY_PRESETS, 'default'),
    options: keyValues(strs(values['option'])),
    seedTimeoutMs: timeout === undefined ? SEED_TIMEOUT_MS_DEFAULT : parseDurationMs('seed-timeout', timeout),
  };
}

/** The one workload and the `--seed` of a command that runs a single seed (`replay`, `shrink`). */
function oneSeedTarget(command: string, values: Record<string, unknown>, positionals: readonly string[], seedHint: string): { workload: string; seed: number } {
  const workload = positionals[0];
  if (workload === undefined || workload === '') throw new UsageError(`${command}: missing <workload>`);
  if (positionals.length > 1) throw new UsageError(`${command}: unexpected argument '${positionals[1]}'`);
  const seedRaw = str(values['seed']);
  if (seedRaw === undefined) throw new UsageError(`${command}: missing --seed <n>${seedHint}`);
  return { workload, seed: integer('seed', seedRaw, 0, 0, Number.MAX_SAFE_INTEGER) };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strs(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/** `--shard K/N`, or `--shards N` with K from a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` (0-based). */
function shardOf(shardRaw: string | undefined, shardsRaw: string | undefined, env: Readonly<Record<string, string | undefined>>): ShardSpec | undefined {
  if (shardRaw !== undefined && shardsRaw !== undefined) throw new UsageError('sim: give --shard K/N or --shards N, not both');
  if (shardRaw !== undefined) {
    const match = /^([0-9]+)\/([0-9]+)$/.exec(shardRaw);
    const k = match === null ? NaN : Number(match[1]);
    const n = match === null ? NaN : Number(match[2]);
    if (!(n >= 1 && n <= SHARDS_MAX && k >= 1 && k <= n)) throw new UsageError(`--shard must be K/N with N from 1 to ${SHARDS_MAX} and K from 1 to N, got '${shardRaw}'`);
    return { k, n };
  }
  if (shardsRaw === undefined) return undefined;
  const n = integer('shards', shardsRaw, 1, 1, SHARDS_MAX);
  const indexRaw = env['JOB_COMPLETION_INDEX'];
  if (indexRaw === undefined) throw new UsageError('--shards N takes this shard\'s index from JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), which is not set; use --shard K/N elsewhere');
  const index = /^[0-9]+$/.test(indexRaw) ? Number(indexRaw) : NaN;
  if (!(index >= 0 && index < n)) throw new UsageError(`JOB_COMPLETION_INDEX must be a whole number from 0 to ${n - 1} for --shards ${n}, got '${indexRaw}'`);
  return { k: index + 1, n };
}

/** Parses `argv` (without node and the script). Throws {@link UsageError} on bad input. */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined) return { command: 'help', topic: undefined, asked: false };
  if (command === '--help' || command === '-h') return { command: 'help', topic: undefined, asked: true };
  if (command === '--version' || command === '-v') return { command: 'version' };
  switch (command) {
    case 'help':
      return { command: 'help', topic: rest[0], asked: true };
    case 'list': {
      const { values, positionals } = parse('list', rest, {});
      if (values['help'] === true) return { command: 'help', topic: 'list', asked: true };
      if (positionals.length > 0) throw new UsageError(`list: unexpected argument '${positionals[0]}'`);
      return { command: 'list' };
    }
    case 'demo': {
      const { values, positionals } = parse('demo', rest, { quick: { type: 'boolean' } });
      if (values['help'] === true) return { command: 'help', topic: 'demo', asked: true };
      if (positionals.length > 0) throw new UsageError(`demo: unexpected argument '${positionals[0]}'`);
      return { command: 'demo', quick: values['quick'] === true };
    }
    case 'sim': {
      const { values, positionals } = parse('sim', rest, {
        seeds: { type: 'string' }, from: { type: 'string' }, workers: { type: 'string' }, ...SEED_RUN_FLAGS,
        json: { type: 'boolean' }, 'fail-fast': { type: 'boolean' }, verbose: { type: 'boolean' },
        shard: { type: 'string' }, shards: { type: 'string' }, out: { type: 'string' }, duration: { type: 'string' }, 'until-failures': { type: 'string' },
        intercept: { type: 'boolean' }, 'check-determinism': { type: 'boolean' }, 'resume-at': { type: 'string' },
      });
      if (values['help'] === true) return { command: 'help', topic: 'sim', asked: true };
      const workload = positionals[0];
      if (workload === undefined || workload === '') throw new UsageError('sim: missing <workload> (a built-in name such as kv, or a path to a .js/.mjs module)');
      if (positionals.length > 1) throw new UsageError(`sim: unexpected argument '${positionals[1]}'`);
      const durationRaw = str(values['duration']);
      const untilRaw = str(values['until-failures']);
      const continuous = durationRaw !== undefined || untilRaw !== undefined;
      // Continuous mode: --seeds caps the seeds drawn (default: as many as time allows).
      const seedCount = integer('seeds', str(values['seeds']), continuous ? SEED_COUNT_MAX : 100, 1, SEED_COUNT_MAX);
      const seedFrom = integer('from', str(values['from']), 1, 0, Number.MAX_SAFE_INTEGER - seedCount);
      const workersRaw = str(values['workers']);
      const shard = shardOf(str(values['shard']), str(values['shards']), env);
      if (shard !== undefined && continuous) throw new UsageError('sim: --shard splits a range of seeds; a continuous run (--duration, --until-failures) draws its own stream: give each machine its own --from');
      if (shard !== undefined && shard.n > seedCount) throw new UsageError(`sim: --seeds ${seedCount} cannot be split into ${shard.n} shards (at most one shard per seed)`);
      const out = str(values['out']);
      if (out === '') throw new UsageError('--out needs a file name');
      const resumeAtRaw = str(values['resume-at']);
      let resumeAt: number | undefined;
      if (resumeAtRaw !== undefined) {
        if (continuous) throw new UsageError('sim: --resume-at resumes a range of seeds; a continuous run (--duration, --until-failures) has no range to resume');
        const part = partOfRange(seedFrom, seedCount, shard);
        resumeAt = integer('resume-at', resumeAtRaw, part.from, 0, Number.MAX_SAFE_INTEGER);
        if (resumeAt < part.from || resumeAt >= part.from + part.count) {
          throw new UsageError(`sim: --resume-at ${resumeAt} is outside this run's seeds ${part.from}..${part.from + part.count - 1}` +
            `${shard === undefined ? '' : ` (shard ${shard.k}/${shard.n})`}`);
        }
      }
      return {
        command: 'sim',
        workload,
        seedFrom,
        seedCount,
        workers: workersRaw === undefined ? undefined : integer('workers', workersRaw, 1, 1, WORKERS_MAX),
        ...seedRunSettings(values),
        json: values['json'] === true,
        failFast: values['fail-fast'] === true,
        verbose: values['verbose'] === true,
        shard,
        resumeAt,
        out,
        durationMs: durationRaw === undefined ? undefined : parseDurationMs('duration', durationRaw),
        untilFailures: untilRaw === undefined ? undefined : integer('until-failures', untilRaw, 1, 1, SEED_COUNT_MAX),
        intercept: values['intercept'] === true,
        checkDeterminism: values['check-determinism'] === true,
      };
    }
    case 'merge': {
      const { values, positionals } = parse('merge', rest, { json: { type: 'boolean' } });
      if (values['help'] === true) return { command: 'help', topic: 'merge', asked: true };
      if (positionals.length === 0) throw new UsageError('merge: missing FILES (the --out files of a campaign\'s shards)');
      if (positionals.length > MERGE_FILES_MAX) throw new UsageError(`merge: at most ${MERGE_FILES_MAX} files, got ${positionals.length}`);
      return { command: 'merge', files: positionals, json: values['json'] === true };
    }
    case 'replay': {
      const { values, positionals } = parse('replay', rest, {
        seed: { type: 'string' }, ...SEED_RUN_FLAGS, trace: { type: 'boolean' }, json: { type: 'boolean' }, verbose: { type: 'boolean' },
        intercept: { type: 'boolean' }, 'check-determinism': { type: 'boolean' },
        'faults-off': { type: 'string', multiple: true }, veto: { type: 'string', multiple: true },
      });
      if (values['help'] === true) return { command: 'help', topic: 'replay', asked: true };
      return {
        command: 'replay',
        ...oneSeedTarget('replay', values, positionals, ''),
        ...seedRunSettings(values),
        trace: values['trace'] === true,
        json: values['json'] === true,
        verbose: values['verbose'] === true,
        intercept: values['intercept'] === true,
        checkDeterminism: values['check-determinism'] === true,
        faultsOff: faultKindList(strs(values['faults-off'])),
        vetoes: vetoList(strs(values['veto'])),
      };
    }
    case 'shrink': {
      const { values, positionals } = parse('shrink', rest, { seed: { type: 'string' }, ...SEED_RUN_FLAGS, json: { type: 'boolean' } });
      if (values['help'] === true) return { command: 'help', topic: 'shrink', asked: true };
      return {
        command: 'shrink',
        ...oneSeedTarget('shrink', values, positionals, ' (a failing seed)'),
        ...seedRunSettings(values),
        json: values['json'] === true,
      };
    }
    default: {
      const near = suggestion(command.replace(/^-+/, ''), COMMANDS);
      throw new UsageError(`unknown command '${command}'${near === undefined ? '' : ` (did you mean ${near}?)`}; the commands: ${COMMANDS.join(', ')} (faultline --help)`);
    }
  }
}

export const HELP: Readonly<Record<string, string>> = {
  main: `faultline: run simulation campaigns against code written on faultline's Io/Storage

Usage:
  faultline sim <workload> [--seeds N] [--from S] [--workers W] [--profile P] [--faults F] [--latency L] [--json]
  faultline replay <workload> --seed S [--profile P] [--faults F] [--latency L] [--trace] [--verbose]
  faultline shrink <workload> --seed S [--profile P] [--faults F] [--latency L] [--json]
  faultline merge FILES... [--json]
  faultline demo [--quick]
  faultline list
  faultline <command> --help

<workload> is a built-in name (kv, kv:<variant>, replicated-log) or a path to a .js/.mjs module
whose default export has run(ctx). Exit codes: 0 every seed passed, 1 a seed failed or is missing,
2 bad input, 130/143 interrupted by SIGINT/SIGTERM.`,
  sim: `faultline sim <workload> [options]

Runs the workload once per seed, seeds S..S+N-1, spread over worker processes (a seed that exits, crashes or hangs fails alone).

  --seeds N          how many seeds (default 100)
  --from S           first seed (default 1); with --seeds, shards a campaign across machines
  --workers W        worker processes (default: available parallelism)
  --profile P        posix (default), ext4-ordered, writeback or none: what a power cut may lose
  --faults F         none, default (default), heavy, or swarm (each seed draws its own mix and rates)
  --latency L        default (SSD-like, completions reorder) or none
  --option k=v       passed to the workload in ctx.options (repeatable)
  --seed-timeout T   real time one seed may run before it fails with ERR_SEED_TIMEOUT and its
                     worker is replaced: seconds, or 500ms, 30s, 2m, 1h (default ${formatDurationMs(SEED_TIMEOUT_MS_DEFAULT)})
  --fail-fast        stop handing out seeds at the first failure
  --shard K/N        run only shard K of N (1-based) of the seeds: disjoint blocks, the same on every machine
  --shards N         the same, K taken from JOB_COMPLETION_INDEX (0-based; a Kubernetes Indexed Job)
  --out FILE         one NDJSON line per seed (seed, ok, error, signature, hash, replay...): faultline merge reads them
  --resume-at R      the rest of an interrupted campaign (its \`resume with:\` line): the same --from, --seeds and
                     --shard, seeds from R on; merge its --out with the interrupted run's for the whole verdict
  --duration T       continuous mode: draw seeds from the stream keyed by --from until T of real time passed
  --until-failures N continuous mode: ... or until N seeds failed (with --duration, whichever comes first)
  --json             one JSON document on stdout instead of text
  --verbose          print every failure's whole workload log, error details and stack
  --intercept        node:fs inside node.within(fn), timers, Date and randomness on the simulation
                     (a workload can also ask with intercept: true)
  --check-determinism  run every seed twice; a seed whose sim.hash() differs fails with
                     ERR_NONDETERMINISM and the first differing trace record

Each failure prints its seed, error, last trace events and a replay command.`,
  replay: `faultline replay <workload> --seed S [options]

Reruns exactly one seed (same profile, faults and options as the campaign) and prints its
result and sim.hash(); the hash is identical on every run of the same seed.

  --seed S           the seed to run (required)
  --profile P        posix (default), ext4-ordered, writeback or none
  --faults F         none, default (default), heavy or swarm
  --latency L        default or none
  --option k=v       passed to the workload in ctx.options (repeatable)
  --trace            print the full trace
  --faults-off K,..  switch these fault kinds off (what faultline shrink prints)
  --veto N/K/I,...   the I-th injected fault of kind K on node N does not happen (from shrink)
  --verbose          print the error's stack and details (an ERR_DEADLOCK's pending operations)
  --seed-timeout T   real time the seed may run before it fails with ERR_SEED_TIMEOUT, as for sim
                     (default ${formatDurationMs(SEED_TIMEOUT_MS_DEFAULT)})
  --intercept        as for sim
  --check-determinism  run the seed twice and compare sim.hash()
  --json             one JSON document on stdout (with the stack and details)`,
  shrink: `faultline shrink <workload> --seed S [options]

Finds a smaller failing run of a failing seed: re-runs it with each injected fault kind switched
off in turn, then with single injected faults vetoed, keeping every removal after which the seed
still fails with the same signature. Prints the faults that remain (each needed: without any one
of them the seed passes or fails differently) and a replay command that reproduces the failure
with only those.

  --seed S           the failing seed (required)
  --profile P, --faults F, --latency L, --option k=v   as the campaign ran it
  --seed-timeout T   real time each run of the seed may take before it fails with
                     ERR_SEED_TIMEOUT, as for sim (default ${formatDurationMs(SEED_TIMEOUT_MS_DEFAULT)})
  --json             one JSON document on stdout`,
  merge: `faultline merge FILES... [--json]

Reads the --out files of a campaign's shards and prints one report: totals, seeds missing from the
campaign's range, and failures grouped by signature (error code, message with numbers masked, the
workload's top stack frames), each group with its smallest and its fastest-failing seed and their
replay commands. Exit 1 when a seed failed or is missing, 2 when the files are not one campaign.

  --json             one JSON document on stdout`,
  demo: `faultline demo [--quick]

A one-minute tour: a campaign on the example KV store, a deliberately broken variant caught with
its replay command, then the store on the real disk with its throughput. --quick does less.`,
  list: `faultline list

Lists the built-in workloads and their variants.`,
};
