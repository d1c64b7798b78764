/** `faultline` argument parsing: every bad input is a UsageError (exit code 2), good input is typed. */
import { expect } from 'chai';
import { UsageError, parseCli } from '../../src/cli/args.js';

function usage(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  return expect.fail(`expected a usage error for ${argv.join(' ')}`);
}

describe('cli: parseCli', () => {
  it('parses sim with defaults and with every flag', () => {
    expect(parseCli(['sim', 'kv'])).to.deep.include({ command: 'sim', workload: 'kv', seedFrom: 1, seedCount: 100, workers: undefined, profile: 'posix', faults: 'default', latency: 'default', json: false, failFast: false });
    const args = parseCli(['sim', 'kv:no-checksum', '--seeds', '7', '--from', '100', '--workers', '3', '--profile', 'ext4-ordered', '--faults', 'heavy', '--latency', 'none', '--json', '--fail-fast', '--option', 'ops=5', '--option', 'clients=2']);
    expect(args).to.deep.include({ command: 'sim', workload: 'kv:no-checksum', seedFrom: 100, seedCount: 7, workers: 3, profile: 'ext4-ordered', faults: 'heavy', latency: 'none', json: true, failFast: true });
    expect(args.command === 'sim' && { ...args.options }).to.deep.equal({ ops: '5', clients: '2' });
  });

  it('parses replay, demo, list, help and version', () => {
    expect(parseCli(['replay', 'kv', '--seed', '42', '--trace'])).to.deep.include({ command: 'replay', workload: 'kv', seed: 42, trace: true, profile: 'posix', faults: 'default' });
    expect(parseCli(['demo', '--quick'])).to.deep.equal({ command: 'demo', quick: true });
    expect(parseCli(['list'])).to.deep.equal({ command: 'list' });
    expect(parseCli([])).to.deep.equal({ command: 'help', topic: undefined, asked: false });
    expect(parseCli(['--help'])).to.deep.equal({ command: 'help', topic: undefined, asked: true });
    expect(parseCli(['sim', '--help'])).to.deep.equal({ command: 'help', topic: 'sim', asked: true });
    expect(parseCli(['replay', '-h'])).to.deep.equal({ command: 'help', topic: 'replay', asked: true });
    expect(parseCli(['--version'])).to.deep.equal({ command: 'version' });
  });

  it('refuses bad input with a one-line message', () => {
    const cases: string[][] = [
      ['frobnicate'],
      ['sim'],
      ['sim', 'kv', 'extra'],
      ['sim', 'kv', '--seeds', 'abc'],
      ['sim', 'kv', '--seeds', '0'],
      ['sim', 'kv', '--seeds', '-5'],
      ['sim', 'kv', '--seeds', '1.5'],
      ['sim', 'kv', '--seeds', '1000000000'],
      ['sim', 'kv', '--workers', '0'],
      ['sim', 'kv', '--workers', '100000'],
      ['sim', 'kv', '--profile', 'ntfs'],
      ['sim', 'kv', '--faults', 'some'],
      ['sim', 'kv', '--latency', 'slow'],
      ['sim', 'kv', '--option', 'novalue'],
      ['sim', 'kv', '--option', '=x'],
      ['sim', 'kv', '--bogus'],
      ['sim', 'kv', '--from', `${Number.MAX_SAFE_INTEGER}`],
      ['replay', 'kv'],
      ['replay', 'kv', '--seed', 'x'],
      ['replay'],
      ['demo', 'now'],
    ];
    for (const argv of cases) {
      const message = usage(argv);
      expect(message, argv.join(' ')).to.not.include('\n');
      expect(message.length, argv.join(' ')).to.be.greaterThan(5);
    }
  });

  it('says in one plain line which flag is wrong and what it allows, with a did-you-mean', () => {
    expect(usage(['sim', 'kv', '--seeds', '-1'])).to.equal("--seeds must be a whole number from 1 to 100000000, got '-1'");
    expect(usage(['sim', 'kv', '--seeds=1.5'])).to.equal("--seeds must be a whole number from 1 to 100000000, got '1.5'");
    expect(usage(['replay', 'kv', '--seed=-3'])).to.equal("--seed must be a whole number from 0 to 9007199254740991, got '-3'");
    expect(usage(['sim', 'kv', '--seed', '42'])).to.match(/^sim: unknown flag --seed \(did you mean --seeds\?\); its flags: --seeds, --from, /);
    expect(usage(['replay', 'kv', '--seeds', '42'])).to.match(/^replay: unknown flag --seeds \(did you mean --seed\?\); its flags: --seed, /);
    const bogus = usage(['sim', 'kv', '--bogus']);
    expect(bogus).to.match(/^sim: unknown flag --bogus; its flags: /);
    expect(bogus).to.not.match(/positional|'--'/);
    expect(usage(['sim', 'kv', '--seeds'])).to.equal('sim: --seeds needs a value (see faultline sim --help)');
    expect(usage(['sim', 'kv', '--json=yes'])).to.equal("sim: --json takes no value, got '--json=yes'");
    expect(usage(['smi', 'kv'])).to.equal("unknown command 'smi' (did you mean sim?); the commands: sim, replay, shrink, merge, demo, list, help (faultline --help)");
    expect(usage(['sim', 'kv', '--seed-timeout', '-1s'])).to.match(/^--seed-timeout must be a duration such as 30 \(seconds\), 30s, 2m or 1h, got '-1s'$/);
  });

  it('reads --seed-timeout as seconds or with a unit', () => {
    const timeout = (raw: string): unknown => {
      const args = parseCli(['sim', 'kv', '--seed-timeout', raw]);
      return args.command === 'sim' ? args.seedTimeoutMs : undefined;
    };
    expect(timeout('30')).to.equal(30_000);
    expect(timeout('500ms')).to.equal(500);
    expect(timeout('2m')).to.equal(120_000);
    expect(timeout('1.5h')).to.equal(5_400_000);
    expect(parseCli(['sim', 'kv'])).to.deep.include({ seedTimeoutMs: 60_000 });
    expect(() => parseCli(['sim', 'kv', '--seed-timeout', '200h'])).to.throw(UsageError, /between 1ms and 168h/);
  });

  it('parses shards, --out, continuous runs, merge, shrink and the replay of a shrunk run', () => {
    expect(parseCli(['sim', 'kv', '--seeds', '100', '--shard', '2/4', '--out', 'o.ndjson'])).to.deep.include({ shard: { k: 2, n: 4 }, out: 'o.ndjson' });
    expect(parseCli(['sim', 'kv', '--seeds', '100', '--shards', '4'], { JOB_COMPLETION_INDEX: '0' })).to.deep.include({ shard: { k: 1, n: 4 } });
    expect(() => parseCli(['sim', 'kv', '--shards', '4'], {})).to.throw(UsageError, /JOB_COMPLETION_INDEX/);
    expect(() => parseCli(['sim', 'kv', '--shards', '4'], { JOB_COMPLETION_INDEX: '4' })).to.throw(UsageError, /from 0 to 3/);
    expect(() => parseCli(['sim', 'kv', '--shard', '1/2', '--shards', '2'], { JOB_COMPLETION_INDEX: '0' })).to.throw(UsageError, /not both/);
    expect(() => parseCli(['sim', 'kv', '--seeds', '3', '--shard', '1/4'])).to.throw(UsageError, /cannot be split into 4 shards/);
    expect(() => parseCli(['sim', 'kv', '--shard', '1/2', '--duration', '1m'])).to.throw(UsageError, /continuous/);
    expect(parseCli(['sim', 'kv', '--duration', '2m', '--until-failures', '5'])).to.deep.include({ durationMs: 120_000, untilFailures: 5, seedCount: 100_000_000 });
    expect(parseCli(['merge', 'a.ndjson', 'b.ndjson', '--json'])).to.deep.equal({ command: 'merge', files: ['a.ndjson', 'b.ndjson'], json: true });
    expect(() => parseCli(['merge'])).to.throw(UsageError, /missing FILES/);
    expect(parseCli(['shrink', 'kv:no-checksum', '--seed', '4', '--faults', 'heavy'])).to.deep.include({ command: 'shrink', seed: 4, faults: 'heavy' });
    expect(() => parseCli(['shrink', 'kv'])).to.throw(UsageError, /missing --seed/);
    const replay = parseCli(['replay', 'kv', '--seed', '4', '--faults-off', 'shortWrite,stall', '--veto', 'kv/fsyncError/2,kv/readError/1']);
    expect(replay).to.deep.include({ faultsOff: ['shortWrite', 'stall'], vetoes: [{ node: 'kv', kind: 'fsyncError', occurrence: 2 }, { node: 'kv', kind: 'readError', occurrence: 1 }] });
    expect(() => parseCli(['replay', 'kv', '--seed', '4', '--faults-off', 'gremlins'])).to.throw(UsageError, /--faults-off takes fault kinds/);
    expect(() => parseCli(['replay', 'kv', '--seed', '4', '--veto', 'kv/fsyncError/0'])).to.throw(UsageError, /--veto takes node\/kind\/occurrence/);
    expect(parseCli(['sim', 'kv', '--faults', 'swarm'])).to.deep.include({ faults: 'swarm' });
  });
});
