// The VM host (test/fleet/vm-host.sh): a qemu TCG machine with a real kernel (dm-crypt), reached over SSH on
// loopback like any host. Booting it is CPU-heavy: tests using it run under the fleet lock like the others.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fleet/vm-host.sh', import.meta.url));
export const VM_STATE = process.env.DBFORM_VM_STATE ?? '/fleet-vm';

export interface VmHost {
  name: string;
  address: string;
  port: number;
  user: string;
  hostKey: string;
  identityFile: string;
  dataDir: string;
  /** The VM's data disk on this machine (raw): what a thief of the disk would read. */
  disk: string;
}

function vm(args: string[]): string {
  return execFileSync('bash', [SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBFORM_VM_STATE: VM_STATE } });
}

/** Boots the VM on its disk (kept between runs: the image stays loaded), with nothing of earlier runs on it. */
export function vmUp(): VmHost {
  vm(['up']);
  return JSON.parse(readFileSync(`${VM_STATE}/vm.json`, 'utf8')) as VmHost;
}

/** A power cut: qemu killed with SIGKILL (what the VM had not written to its disk is lost). */
export function vmPowerCut(): void {
  vm(['kill']);
}

export function vmBoot(): void {
  vm(['boot']);
}

/** Removes what a test file left on the VM (its add-ons' containers, volumes, data), which is kept running for
 *  the next file: idle, it takes about 1 % of a core, instead of PostgreSQL instances under emulation. */
export function vmClean(): void {
  spawnSync('bash', [SCRIPT, 'clean'], { stdio: 'ignore', env: { ...process.env, DBFORM_VM_STATE: VM_STATE } });
}

export function vmDown(): void {
  spawnSync('bash', [SCRIPT, 'down'], { stdio: 'ignore', env: { ...process.env, DBFORM_VM_STATE: VM_STATE } });
}

/** A shell command on the VM as root; throws when it fails. */
export function onVm(command: string, input?: string): string {
  const r = spawnSync('bash', [SCRIPT, 'ssh', command], { input, encoding: 'utf8', env: { ...process.env, DBFORM_VM_STATE: VM_STATE } });
  if (r.status !== 0) throw new Error(`on the VM: ${command}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Every process's argument list on the VM, sampled every `everyMs` until stop() (for key-leak checks). */
export function sampleProcesses(everyMs: number): { stop(): Promise<string[]> } {
  const samples: string[] = [];
  const child = spawn('bash', [SCRIPT, 'ssh', `while :; do ps -eo args; echo @@; sleep ${everyMs / 1000}; done`], {
    env: { ...process.env, DBFORM_VM_STATE: VM_STATE },
    // Its own process group: stop() ends the script and its ssh (which would otherwise hold the pipe open).
    detached: true,
  });
  child.stdout.setEncoding('utf8').on('data', (d: string) => samples.push(d));
  return {
    async stop() {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('close', r));
      return samples.join('').split('@@\n').filter((s) => s.trim());
    },
  };
}

export function vmHostYaml(h: VmHost): string {
  return `  ${h.name}:\n    address: ${h.address}\n    port: ${h.port}\n    user: ${h.user}\n    hostKey: ${h.hostKey}\n    identityFile: ${h.identityFile}\n    dataDir: ${h.dataDir}\n`;
}

/** psql as the superuser inside an add-on's container on the VM. */
export function psqlOnVm(addon: string, port: number, sql: string): string {
  return onVm(`docker exec -i dbform-${addon} psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p ${port} -U postgres -d ${addon} -At`, sql).trim();
}

/** Which of `needles` occur in the VM's raw data disk (read from this machine, as a stolen disk would be). */
export function foundOnDisk(disk: string, needles: string[]): string[] {
  const r = spawnSync('grep', ['-a', '-o', '-F', ...needles.flatMap((n) => ['-e', n]), disk], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 });
  return [...new Set(r.stdout.split('\n').filter(Boolean))].sort();
}
