// Finds (or builds, once) the etcd / kube-apiserver / kube-controller-manager binaries the
// Kubernetes e2e tests run, through scripts/k8s-binaries.mjs. The only reason to skip those
// tests is a machine without the Go toolchain: that is reported as a skip reason, never as a
// pass. Any other failure to build fails the test.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './sidecar.js';

export interface KubeBinaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeVersion: string;
  readonly etcdVersion: string;
}

export type KubeBinariesResult = { readonly ok: true; readonly bins: KubeBinaries } | { readonly ok: false; readonly reason: string };

/** the script's exit code when there is no Go toolchain (see scripts/k8s-binaries.mjs) */
const EXIT_NO_GO = 3;

export function kubeBinaries(): Promise<KubeBinariesResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, 'scripts', 'k8s-binaries.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // a cold build runs for many minutes: show that it is alive
      process.stderr.write(d);
    });
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code === EXIT_NO_GO) {
        const reason = stderr.trim().split('\n').pop()?.replace(/^\[k8s-binaries\]\s*/, '') ?? 'no Go toolchain';
        resolve({ ok: false, reason });
      } else if (code === 0) {
        resolve({ ok: true, bins: JSON.parse(stdout.trim().split('\n').pop()!) as KubeBinaries });
      } else {
        reject(new Error(`scripts/k8s-binaries.mjs exited with ${code}:\n${stderr.slice(-4000)}`));
      }
    });
  });
}
