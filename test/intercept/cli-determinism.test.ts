/** `faultline sim|replay --check-determinism` and `--intercept` end to end, as a child process. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workload = fileURLToPath(new URL('./fixtures/clock-workload.js', import.meta.url));

function faultline(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('intercept: --check-determinism on the command line', () => {
  it('sim fails a workload reading Date.now() with ERR_NONDETERMINISM and the first differing record; --intercept passes it', async () => {
    const bad = await faultline(['sim', workload, '--seeds', '2', '--workers', '1', '--faults', 'none', '--check-determinism']);
    expect(bad.code, bad.stdout + bad.stderr).to.equal(1);
    expect(bad.stdout).to.include('ERR_NONDETERMINISM');
    expect(bad.stdout).to.match(/first differing trace record: #1\b/);
    expect(bad.stdout).to.match(/run 1: #1 .* write/);
    expect(bad.stdout).to.include('--check-determinism');
    const good = await faultline(['sim', workload, '--seeds', '2', '--workers', '1', '--faults', 'none', '--check-determinism', '--intercept']);
    expect(good.code, good.stdout + good.stderr).to.equal(0);
  });

  it('replay --check-determinism reports the divergence in --json too', async () => {
    const bad = await faultline(['replay', workload, '--seed', '3', '--faults', 'none', '--check-determinism', '--json']);
    expect(bad.code).to.equal(1);
    const doc = JSON.parse(bad.stdout) as { code: string; divergence: string[] };
    expect(doc.code).to.equal('ERR_NONDETERMINISM');
    expect(doc.divergence[0]).to.match(/^first differing trace record: #1/);
    const good = await faultline(['replay', workload, '--seed', '3', '--faults', 'none', '--check-determinism', '--intercept']);
    expect(good.code, good.stdout).to.equal(0);
    expect(good.stdout).to.include('PASS seed 3');
  });

  it('a workload waiting on setTimeout: ERR_DEADLOCK with what is pending, unless interception is asked for (flag or workload)', async () => {
    const timer = fileURLToPath(new URL('./fixtures/timer-workload.js', import.meta.url));
    const stuck = await faultline(['sim', timer, '--seeds', '1', '--workers', '1', '--faults', 'none', '--verbose']);
    expect(stuck.code).to.equal(1);
    expect(stuck.stdout).to.include('ERR_DEADLOCK');
    expect(stuck.stdout).to.include('timers are not simulated');
    // --verbose prints the error's details: what was pending.
    expect(stuck.stdout).to.include('"simulatedTimers": 0');
    expect(stuck.stdout).to.include('"timersSimulated": false');
    const flagged = await faultline(['sim', timer, '--seeds', '3', '--workers', '1', '--intercept', '--check-determinism']);
    expect(flagged.code, flagged.stdout).to.equal(0);
    const declared = await faultline(['sim', fileURLToPath(new URL('./fixtures/timer-workload-intercepting.js', import.meta.url)), '--seeds', '3', '--workers', '1']);
    expect(declared.code, declared.stdout).to.equal(0);
  });
});
