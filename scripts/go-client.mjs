#!/usr/bin/env node
// Builds — once per version of its sources — the Go program in test/go-client (the official
// Dapr Go SDK as a client, run by test/e2e/go-sdk.test.ts) and caches the binary outside the
// repo in
//   ${XDG_CACHE_HOME:-~/.cache}/pillion/go-client/<hash of go.mod, go.sum, *.go>/goclient
// A later run with the same sources finds it there and returns at once; any edit to those
// files gives a new hash, hence a fresh build.
//
// go.sum is committed and the build runs with -mod=readonly: the modules are exactly the ones
// it names (fetched from the Go module proxy on the first build), and the build never rewrites
// go.mod or go.sum in the repo.
//
// Output: one JSON line on stdout {bin, hash, built, seconds}; progress and timings on stderr.
// Exit codes: 0 ok; 3 no Go toolchain (the caller skips and says why); 1 build failure.
//
// Env: GO (the go binary to use; when set, no other is looked for).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireGo } from './find-go.mjs';


const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'go-client');
const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pillion', 'go-client');

const log = (msg) => process.stderr.write(`[go-client] ${msg}\n`);

/** sha256 over the name and bytes of every file the build reads from the repo, in name order. */
function sourceHash() {
  const files = readdirSync(src).filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go')).sort();
  const h = createHash('sha256');
  for (const f of files) h.update(`${f}\0`).update(readFileSync(join(src, f))).update('\0');
  return h.digest('hex').slice(0, 16);
}

function main() {
  const hash = sourceHash();
  const bin = join(cacheRoot, hash, 'goclient');
  const result = (built, seconds) => JSON.stringify({ bin, hash, built, seconds });
  if (existsSync(bin)) {
    log(`cached: ${bin}`);
    process.stdout.write(`${result(false, 0)}\n`);
    return;
  }
  const go = requireGo(log, 'the Go SDK client of test/go-client; install Go >= 1.22.6 to run the Go SDK tests');
  mkdirSync(dirname(bin), { recursive: true });
  // Two builds at once (the CI warm-up and a test) are harmless: each writes its own temp file
  // and the rename is atomic, so a reader never sees half a binary.
  const tmp = `${bin}.tmp-${process.pid}`;
  const started = Date.now();
  log(`${go.version}; building ${src} into ${bin}`);
  // -buildvcs=false: the program is the same whatever the repo's git state (and git need not
  // be usable here); CGO off: a static binary, no C toolchain needed.
  execFileSync(go.bin, ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', '-o', tmp, '.'], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  renameSync(tmp, bin);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  log(`built in ${seconds} s`);
  process.stdout.write(`${result(true, seconds)}\n`);
}

try {
  main();
} catch (err) {
  log(`build failed: ${err.message}`);
  process.exit(1);
}
