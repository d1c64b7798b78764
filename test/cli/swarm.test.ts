/**
 * `--faults swarm`: each seed's fault configuration is a function of the seed alone (so the replay
 * line reproduces it), spread over fault-free seeds, seeds with a few kinds on at rates over
 * orders of magnitude, and seeds with one kind turned up high; reports print it.
 */
import { expect } from 'chai';
import { FAULT_KINDS } from '../../src/backends/sim/faults.js';
import { SWARM_KINDS, SWARM_RATE_MAX, formatSwarmFaults, swarmFaults } from '../../src/cli/swarm-faults.js';
import { faultline, replayArgs } from './run-cli.js';

describe('cli: swarm faults', function () {
  this.timeout(60_000);

  it('draws each seed\'s configuration from the seed alone, with the spread swarm testing needs', () => {
    const seeds = Array.from({ length: 2000 }, (_, i) => i + 1);
    const configs = seeds.map((seed) => swarmFaults(seed));
    expect(seeds.map((seed) => JSON.stringify(swarmFaults(seed)))).to.deep.equal(configs.map((c) => JSON.stringify(c)));
    const empty = configs.filter((c) => Object.keys(c.config).length === 0).length;
    expect(empty / seeds.length).to.be.within(0.08, 0.18);
    const high = configs.filter((c) => c.high !== undefined).length;
    expect(high / seeds.length).to.be.within(0.15, 0.3);
    // The default preset's kinds, the new namespace faults among them; the opt-in kinds never.
    expect(SWARM_KINDS).to.include.members(['fsyncError', 'namespaceError']);
    for (const kind of FAULT_KINDS.filter((k) => !SWARM_KINDS.includes(k))) {
      expect(['lostWrite', 'misdirectedRead', 'powerCut'], `${kind} is opt-in`).to.include(kind);
      expect(configs.some((c) => c.config[kind] !== undefined), `${kind} never drawn`).to.equal(false);
    }
    for (const kind of SWARM_KINDS) {
      const rates = configs.map((c) => c.config[kind]?.rate).filter((r): r is number => r !== undefined);
      expect(rates.length / seeds.length, kind).to.be.within(0.35, 0.55);
      expect(Math.max(...rates) / Math.min(...rates), `${kind} spans orders of magnitude`).to.be.greaterThan(100);
      expect(Math.max(...rates)).to.be.at.most(SWARM_RATE_MAX);
    }
    expect(formatSwarmFaults(seeds[configs.findIndex((c) => Object.keys(c.config).length === 0)]!)).to.match(/: none \(a fault-free seed\)$/);
  });

  it('prints the configuration with a failure, and the replay line reproduces the seed', async () => {
    const run = await faultline(['sim', 'kv:no-checksum', '--faults', 'swarm', '--seeds', '30', '--workers', '2', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as { failures: Array<{ seed: number; hash: string; replay: string }> };
    const failure = doc.failures[0]!;
    expect(failure.replay).to.include(`--seed ${failure.seed} --profile posix --faults swarm`);
    const replay = await faultline([...replayArgs(failure.replay), '--json']);
    const replayed = JSON.parse(replay.stdout) as { hash: string; faultConfig: unknown };
    expect(replayed.hash).to.equal(failure.hash);
    expect(replayed.faultConfig).to.deep.equal(swarmFaults(failure.seed).config);
    const text = await faultline(['sim', 'kv:no-checksum', '--faults', 'swarm', '--seeds', '30', '--workers', '2']);
    expect(text.stdout).to.include(`FAIL seed ${failure.seed}: `);
    expect(text.stdout).to.include(`  ${formatSwarmFaults(failure.seed)}`);
  });
});
