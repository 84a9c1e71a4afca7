// A throwaway Kubernetes control plane for the e2e tests: etcd, kube-apiserver and
// kube-controller-manager as real processes on free ports, all state in one temp dir.
//
// No kubelet and no scheduler: pods are stored (and pass through admission, which is what the
// injector tests look at) but never run. The controller manager runs only the controllers
// that turn a Deployment into ReplicaSets and Pods and create each namespace's "default"
// ServiceAccount (the ServiceAccount admission plugin refuses pods without it).
//
// Identity: one admin user (group system:masters) with a random bearer token from a static
// token file; authorization is RBAC, as in a real cluster. The API server makes its own
// serving certificate (--cert-dir); clients trust that file.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { KubeBinaries } from './kube-binaries.js';
import { freePorts, minimalEnv, runCli, sleep, tempDir, type CliResult } from './sidecar.js';

export interface ApiReply<T = Record<string, any>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, string | string[] | undefined>;
}

interface Managed {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly log: string;
  exited: boolean;
}

const children = new Set<ChildProcess>();
// a crashed or interrupted test run must not leave a control plane behind
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export class KubeCluster {
  private readonly managed: Managed[] = [];
  /** the API server's self-made certificate chain (set once it is ready) */
  caPem = '';

  private constructor(
    readonly dir: string,
    readonly server: string,
    private readonly token: string,
    readonly kubeconfig: string,
  ) {}

  /** Starts etcd, the API server (waits for /readyz) and the controller manager. */
  static async start(bins: KubeBinaries): Promise<KubeCluster> {
    const dir = tempDir('pillion-kube-');
    const [etcdClient, etcdPeer, apiPort] = (await freePorts(3)) as [number, number, number];
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},pillion-e2e-admin,pillion-e2e-admin,"system:masters"\n`, { mode: 0o600 });
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

    const parts: Managed[] = [];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    parts.push(launch('etcd', bins.etcd, dir, [
      '--name=e2e', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
      // a test cluster: durability is worth nothing, speed is
      '--unsafe-no-fsync', '--log-level=warn',
    ]));
    const certDir = join(dir, 'apiserver-certs');
    parts.push(launch('kube-apiserver', bins.kubeApiserver, dir, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`, `--cert-dir=${certDir}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=RBAC', '--anonymous-auth=false',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24', '--allow-privileged=true',
      // the "kubernetes" Service's endpoints may not be a loopback address, and no pod needs them
      '--endpoint-reconciler-type=none',
      // the defaults already include both; named so a change of defaults cannot silently drop them
      '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,PodSecurity,ServiceAccount',
      '--v=1',
    ]));
    const server = `https://127.0.0.1:${apiPort}`;
    const cluster = new KubeCluster(dir, server, token, join(dir, 'kubeconfig'));
    cluster.managed.push(...parts);
    try {
      cluster.caPem = await cluster.waitFor('kube-apiserver /readyz', async () => {
        cluster.assertRunning();
        const ca = readIfExists(join(certDir, 'apiserver.crt'));
        if (!ca) return undefined;
        try {
          const r = await request(server, token, ca, 'GET', '/readyz');
          return r.status === 200 ? ca : undefined;
        } catch {
          return undefined;
        }
      }, 90_000);
      writeFileSync(cluster.kubeconfig, kubeconfigYaml(server, join(certDir, 'apiserver.crt'), token), { mode: 0o600 });
      cluster.managed.push(launch('kube-controller-manager', bins.kubeControllerManager, dir, [
        `--kubeconfig=${cluster.kubeconfig}`, '--leader-elect=false', '--secure-port=0',
        '--controllers=deployment-controller,replicaset-controller,serviceaccount-controller',
        '--concurrent-deployment-syncs=2', '--concurrent-replicaset-syncs=2', '--v=1',
      ]));
      await cluster.waitFor('the "default" ServiceAccount', async () => {
        cluster.assertRunning();
        return (await cluster.api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200 || undefined;
      }, 60_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** One call to the API server as the admin user; the body is parsed JSON. */
  async api<T = Record<string, any>>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiReply<T>> {
    return request<T>(this.server, this.token, this.caPem, method, path, body, contentType);
  }

  /** Like api(), but a status >= 300 is an error carrying the server's message. */
  async ok<T = Record<string, any>>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.api<T>(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** kubectl with this cluster's kubeconfig (and a private HOME for its discovery cache). */
  kubectl(args: string[]): Promise<CliResult> {
    return runCli(['--kubeconfig', this.kubeconfig, ...args], { bin: 'kubectl', env: minimalEnv({ HOME: this.dir }), timeoutMs: 60_000 });
  }

  /** Creates a namespace and waits for its "default" ServiceAccount, without which pods are refused. */
  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    await this.waitForServiceAccount(name);
  }

  async waitForServiceAccount(namespace: string): Promise<void> {
    await this.waitFor(`ServiceAccount ${namespace}/default`, async () => (await this.api('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status === 200 || undefined, 30_000);
  }

  /** Polls fn until it returns a value other than undefined; the error names what was awaited. */
  async waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.logTails()}`);
      await sleep(200);
    }
  }

  /** The last lines of each component's log, for failure messages. */
  logTails(lines = 25): string {
    return this.managed.map((m) => `--- ${m.name}${m.exited ? ' (exited)' : ''}:\n${(readIfExists(m.log) ?? '').trim().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  private assertRunning(): void {
    const dead = this.managed.find((m) => m.exited);
    if (dead) throw new Error(`${dead.name} exited\n${this.logTails()}`);
  }

  /** SIGTERM in reverse start order; SIGKILL whatever is still there after 10 s. */
  async stop(): Promise<void> {
    for (const m of [...this.managed].reverse()) {
      if (m.exited) continue;
      const gone = new Promise<void>((r) => m.proc.once('exit', () => r()));
      m.proc.kill('SIGTERM');
      const t = setTimeout(() => m.proc.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }
  }
}

function launch(name: string, bin: string, dir: string, args: string[]): Managed {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const proc = spawn(bin, args, { cwd: dir, env: minimalEnv({ HOME: dir }), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(proc);
  const m: Managed = { name, proc, log, exited: false };
  proc.once('exit', () => {
    m.exited = true;
    children.delete(proc);
  });
  proc.once('error', () => (m.exited = true));
  return m;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: { server: "${server}", certificate-authority: "${caFile}" }
users:
  - name: admin
    user: { token: "${token}" }
contexts:
  - name: e2e
    context: { cluster: e2e, user: admin }
current-context: e2e
`;
}

function request<T>(server: string, token: string, ca: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiReply<T>> {
  const url = new URL(path, server);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: url.hostname, port: url.port, path: url.pathname + url.search, method, ca, agent: false,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload !== undefined ? { 'content-type': contentType } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // /readyz and friends answer plain text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, headers: res.headers });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
