/** `faultline sim|replay --check-determinism` end to end, as a child process. */
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
});
