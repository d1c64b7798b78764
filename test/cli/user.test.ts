/**
 * The command as a user meets it: TypeScript workloads, replay lines for an installed package,
 * `replay --verbose`, hashes on every failure, exact fail-fast wording, a bounded failing-seeds
 * list in seed order, injected faults named as such, and the bare command.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultline, replayArgs, runNode } from './run-cli.js';

/** The package root (this file is dist/test/cli/*.js when compiled, test/cli/*.ts from source). */
function packageRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes(`${join('dist', 'test')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
}

describe('cli: the command as a user meets it', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-user-'));
    await writeFile(join(dir, 'odd.mjs'), `
export default { async run(ctx) { await ctx.sim.clock.sleep(1); if (ctx.seed % 2 === 1) throw Object.assign(new Error('odd ' + ctx.seed), { code: 'ERR_ODD' }); } };
`);
    await writeFile(join(dir, 'all.mjs'), `
export default { async run(ctx) { await ctx.sim.clock.sleep(1); throw Object.assign(new Error('always'), { code: 'ERR_ALWAYS' }); } };
`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a TypeScript workload on worker processes and replays it', async () => {
    await writeFile(join(dir, 'typed.ts'), `
interface Context { readonly seed: number; readonly sim: { readonly clock: { sleep(ms: number): Promise<void> } } }
const isOdd = (n: number): boolean => n % 2 === 1;
export default {
  async run(ctx: Context): Promise<void> {
    await ctx.sim.clock.sleep(1);
    if (isOdd(ctx.seed)) throw new Error(\`odd seed \${ctx.seed satisfies number}\`);
  },
};
`);
    const run = await faultline(['sim', join(dir, 'typed.ts'), '--seeds', '4', '--workers', '2', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as { seedsRun: number; failures: Array<{ seed: number; message: string; replay: string }> };
    expect(doc.seedsRun).to.equal(4);
    expect(doc.failures.map((f) => [f.seed, f.message])).to.deep.equal([[1, 'odd seed 1'], [3, 'odd seed 3']]);
    const replay = await faultline(replayArgs(doc.failures[1]!.replay));
    expect(replay.code).to.equal(1);
    expect(replay.stdout).to.include('FAIL seed 3: Error: odd seed 3');
  });

  it('prints `npx faultline replay` lines when faultline is installed in a project', async () => {
    const project = join(dir, 'project');
    await mkdir(join(project, 'node_modules'), { recursive: true });
    await symlink(packageRoot(), join(project, 'node_modules', 'faultline'), 'dir');
    await writeFile(join(project, 'odd.mjs'), "export { default } from '../odd.mjs';\n");
    const run = await runNode([join('node_modules', 'faultline', 'dist', 'src', 'cli', 'main.js'), 'sim', './odd.mjs', '--seeds', '2', '--workers', '1'], { cwd: project });
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout).to.include('  replay: npx faultline replay ./odd.mjs --seed 1 --profile posix --faults default --trace');
  });

  it('replay --verbose prints the stack and an ERR_DEADLOCK\'s pending list; every failure prints its hash', async () => {
    await writeFile(join(dir, 'stuck.mjs'), `
export default {
  async run(ctx) {
    const io = ctx.node('a').io;
    await io.open('f', { write: true, create: true });
    await new Promise(() => {});
  },
};
`);
    const replay = await faultline(['replay', join(dir, 'stuck.mjs'), '--seed', '1', '--verbose']);
    expect(replay.code).to.equal(1);
    expect(replay.stdout).to.include('FAIL seed 1: ERR_DEADLOCK');
    expect(replay.stdout).to.match(/ {2}details:\n[\s\S]*"pending": \{/);
    expect(replay.stdout).to.match(/ {2}stack:\n {4}StorageError: simulation deadlock/);
    expect(replay.stdout).to.match(/^hash [0-9a-f]{64}$/m);
    const plain = await faultline(['replay', join(dir, 'stuck.mjs'), '--seed', '1']);
    expect(plain.stdout).to.include('(--verbose shows the stack and the error\'s details)');
    expect(plain.stdout).to.not.include('stack:');
    const sim = await faultline(['sim', join(dir, 'odd.mjs'), '--seeds', '2', '--workers', '1']);
    expect(sim.stdout).to.match(/^FAIL seed 1: ERR_ODD: odd 1\n(?:.*\n)*? {2}hash [0-9a-f]{64}\n {2}replay: /m);
  });

  it('fail-fast says exactly where it stopped; reports print in seed order and the seed list is bounded', async () => {
    const fast = await faultline(['sim', join(dir, 'odd.mjs'), '--seeds', '200', '--workers', '2', '--fail-fast']);
    expect(fast.code).to.equal(1);
    const summary = /^FAIL: stopped at the first failure, seed 1(?: \((\d+) more failed among the seeds already handed out to workers\))?: (\d+) of 200 seeds ran, (\d+) passed, (\d+) failed in /m.exec(fast.stdout);
    expect(summary, fast.stdout).to.not.equal(null);
    const failed = Number(summary![4]);
    // Seeds a worker already holds when the first failure reaches the command still run: at most a batch (16) each.
    expect(failed).to.be.at.most(2 * 16);
    expect(Number(summary![1] ?? 0)).to.equal(failed - 1);

    const many = await faultline(['sim', join(dir, 'all.mjs'), '--seeds', '300', '--workers', '2']);
    expect(many.code).to.equal(1);
    const reported = [...many.stdout.matchAll(/^FAIL seed (\d+):/gm)].map((m) => Number(m[1]));
    expect(reported).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(many.stdout).to.include('... and 290 more failing seeds (the lowest 10 are shown; all are in --json)');
    const list = /^failing seeds: (.*)$/m.exec(many.stdout)![1]!;
    expect(list).to.match(/^1 2 3 (\d+ )+50 \.\.\. and 250 more \(every one is in --json and --out\)$/);
    expect(many.stdout).to.match(/^FAIL: 0\/300 seeds passed, 300 failed /m);
  });

  it('says when an error was injected by the simulator, with the fault\'s trace record, and points at ctx.excuse', async () => {
    await writeFile(join(dir, 'unaware.mjs'), `
export default {
  async run(ctx) {
    const io = ctx.node('a').io;
    const fd = await io.open('f', { write: true, create: true });
    for (let i = 0; i < 50; i++) { await io.write(fd, new Uint8Array(100), i * 100); await io.fsync(fd); }
  },
};
`);
    const run = await faultline(['sim', join(dir, 'unaware.mjs'), '--seeds', '30', '--faults', 'heavy', '--workers', '1']);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^FAIL seed \d+: EIO: .*\n {2}injected: the simulator injected this error \(fault \w+\); .*ctx\.excuse\(reason\).*\n {4}#\d+ t=[\d.]+ms a fault \w+ /m);
    const json = await faultline(['sim', join(dir, 'unaware.mjs'), '--seeds', '30', '--faults', 'heavy', '--workers', '1', '--json']);
    const doc = JSON.parse(json.stdout) as { failures: Array<{ code: string; injected?: { kind: string; record?: string } }> };
    const injected = doc.failures.find((f) => f.injected !== undefined);
    expect(injected?.injected?.record).to.match(/ fault /);
  });

  it('keeps a workload\'s console output out of --json (it goes to stderr)', async () => {
    await writeFile(join(dir, 'chatty.mjs'), `
export default { async run(ctx) { console.log('chatty seed', ctx.seed); await ctx.sim.clock.sleep(1); } };
`);
    const run = await faultline(['sim', join(dir, 'chatty.mjs'), '--seeds', '3', '--workers', '2', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect((JSON.parse(run.stdout) as { passed: number }).passed).to.equal(3);
    expect(run.stderr).to.include('chatty seed 2');
  });

  it('with no arguments prints the help on stderr and exits 2', async () => {
    const run = await faultline([]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('faultline sim <workload>');
    expect(run.stdout).to.equal('');
  });

  it('names a directory given as the workload as a directory', async () => {
    const run = await faultline(['sim', dir]);
    expect(run.code).to.equal(2);
    expect(run.stderr.trim()).to.equal(`faultline: workload '${dir}' is a directory: give the path of its .js, .mjs or .ts module`);
  });
});
