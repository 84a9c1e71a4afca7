#!/usr/bin/env node
// Builds — once — the etcd, kube-apiserver and kube-controller-manager binaries the
// Kubernetes e2e test (test/e2e/k8s-apiserver.test.ts) runs, and caches them outside the repo in
//   ${XDG_CACHE_HOME:-~/.cache}/pillion/k8s/kube-<v>_etcd-<v>/bin/
// A later run finds them there and returns at once.
//
// They are built from the Go modules served by the Go module proxy, the route envtest users
// take: `go install k8s.io/kubernetes/cmd/kube-apiserver@v…` is refused because that module
// replaces its k8s.io/* staging modules with local directories, so a throwaway module in the
// cache dir requires k8s.io/kubernetes and pins each staging module (v0.0.0 in its go.mod) to
// the published v0.<minor>.<patch> by `replace`. etcd's server module (whose own replaces
// point at sibling dirs too) needs no pins: its dependencies are published at the same
// version. Nothing built or generated lands in the repo.
//
// Output: one JSON line on stdout {dir, etcd, kubeApiserver, kubeControllerManager,
// built, seconds}; progress and timings on stderr.
// Exit codes: 0 ok; 3 no Go toolchain (the caller skips and says why); 1 build failure.
//
// Env: PILLION_K8S_VERSION (default v1.37.2), PILLION_ETCD_VERSION (v3.7.3), GO (the go binary
// to use; when set, no other is looked for).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireGo } from './find-go.mjs';


const kubeVersion = process.env.PILLION_K8S_VERSION || 'v1.37.2';
const etcdVersion = process.env.PILLION_ETCD_VERSION || 'v3.7.3';
const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pillion', 'k8s');
const dir = join(cacheRoot, `kube-${kubeVersion}_etcd-${etcdVersion}`);
const binDir = join(dir, 'bin');

const log = (msg) => process.stderr.write(`[k8s-binaries] ${msg}\n`);

/** Each binary: the module to require, the main package inside it, whether k8s.io staging
 * modules need pinning. */
const targets = [
  { name: 'etcd', module: 'go.etcd.io/etcd/server/v3', version: etcdVersion, pkg: 'go.etcd.io/etcd/server/v3', pinStaging: false },
  { name: 'kube-apiserver', module: 'k8s.io/kubernetes', version: kubeVersion, pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', pinStaging: true },
  { name: 'kube-controller-manager', module: 'k8s.io/kubernetes', version: kubeVersion, pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager', pinStaging: true },
];

function result(built, seconds) {
  return JSON.stringify({
    dir: binDir,
    etcd: join(binDir, 'etcd'),
    kubeApiserver: join(binDir, 'kube-apiserver'),
    kubeControllerManager: join(binDir, 'kube-controller-manager'),
    kubeVersion,
    etcdVersion,
    built,
    seconds,
  });
}

const missing = () => targets.filter((t) => !existsSync(join(binDir, t.name)));

// Two runs at once (CI warm-up and a test) must not build into the same module dir: a lock dir
// holding the owner's pid; a lock left by a dead process is taken over.
async function withLock(fn) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = true;
      if (Number.isInteger(owner) && owner > 0) {
        try { process.kill(owner, 0); } catch { alive = false; }
      }
      if (!alive) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (!waited) log(`another build (pid ${owner}) holds ${lock}; waiting for it`);
      waited = true;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function run(go, args, cwd) {
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') };
  log(`(${cwd}) go ${args.join(' ')}`);
  execFileSync(go, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** `replace` lines pinning every k8s.io staging module that k8s.io/kubernetes requires at v0.0.0. */
function stagingReplaces(go, t) {
  const info = JSON.parse(execFileSync(go, ['mod', 'download', '-json', `${t.module}@${t.version}`], { encoding: 'utf8', cwd: dir }));
  if (info.Error) throw new Error(info.Error);
  const gomod = readFileSync(info.GoMod, 'utf8');
  const staging = `v0.${t.version.replace(/^v1\./, '')}`;
  const names = [...gomod.matchAll(/^\s*(k8s\.io\/[A-Za-z0-9._-]+) v0\.0\.0\s*$/gm)].map((m) => m[1]);
  return [...new Set(names)].map((n) => `\t${n} => ${n} ${staging}`);
}

/** -s -w: no symbol tables (smaller); for Kubernetes, the version it reports (/version,
 * `kubectl version`), which its own build sets the same way (hack/lib/version.sh). */
function ldflags(t) {
  const flags = ['-s', '-w'];
  if (!t.pinStaging) return flags;
  const [major, minor] = t.version.replace(/^v/, '').split('.');
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(`-X ${pkg}.gitVersion=${t.version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`);
  }
  return flags;
}

function buildOne(go, t) {
  const work = join(dir, 'build', t.module.replace(/[^A-Za-z0-9.-]+/g, '_'));
  if (!existsSync(join(work, 'go.mod'))) {
    mkdirSync(work, { recursive: true });
    const replaces = t.pinStaging ? stagingReplaces(go, t) : [];
    writeFileSync(
      join(work, 'go.mod'),
      [
        '// Generated by pillion scripts/k8s-binaries.mjs: a throwaway module that only builds binaries.',
        'module pillion.local/k8sbuild',
        '',
        'go 1.26.0',
        '',
        `require ${t.module} ${t.version}`,
        ...(replaces.length ? ['', 'replace (', ...replaces, ')'] : []),
        '',
      ].join('\n'),
    );
  }
  // `go get` of the main package records every module it needs (go.mod and go.sum); the
  // binaries of one module share the work dir, so each records its own once
  const got = join(work, `.got-${t.name}`);
  if (!existsSync(got)) {
    run(go, ['get', `${t.pkg}@${t.version}`], work);
    writeFileSync(got, '');
  }
  const out = join(binDir, t.name);
  const tmp = `${out}.tmp-${process.pid}`;
  const started = Date.now();
  run(go, ['build', '-trimpath', `-ldflags=${ldflags(t).join(' ')}`, '-o', tmp, t.pkg], work);
  renameSync(tmp, out);
  log(`${t.name} built in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function main() {
  if (missing().length === 0) {
    log(`cached in ${binDir}`);
    process.stdout.write(`${result(false, 0)}\n`);
    return;
  }
  const go = requireGo(log, `etcd ${etcdVersion} / kube-apiserver ${kubeVersion}; install Go >= 1.26 to run the Kubernetes tests`);
  log(`${go.version}; building into ${binDir} (a cold build takes a long while: it compiles Kubernetes)`);
  const started = Date.now();
  await withLock(async () => {
    mkdirSync(binDir, { recursive: true });
    // half-written binaries of an interrupted build
    for (const f of readdirSync(binDir)) if (f.includes('.tmp-')) rmSync(join(binDir, f), { force: true });
    for (const t of missing()) buildOne(go.bin, t);
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`build took ${seconds} s (${Math.floor(seconds / 60)} min ${seconds % 60} s)`);
  process.stdout.write(`${result(true, seconds)}\n`);
}

main().catch((err) => {
  log(`build failed: ${err.message}`);
  process.exit(1);
});
