// The Go toolchain the build scripts (k8s-binaries.mjs, go-client.mjs) use.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The go binary: $GO when set (and then only it), else PATH, then the usual install places.
 * Null when there is none. */
export function findGo() {
  const candidates = process.env.GO ? [process.env.GO] : ['go', process.env.GOROOT && join(process.env.GOROOT, 'bin', 'go'), '/usr/local/go/bin/go'];
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return { bin: c, version: r.stdout.trim() };
  }
  return null;
}

/** Exit code of both build scripts when there is no Go: .ci/run then skips what needs it. */
export const EXIT_NO_GO = 3;

/** findGo(), or — with none — says where it looked and what cannot be built (via `log`), and
 * exits with EXIT_NO_GO. */
export function requireGo(log, cannotBuild) {
  const go = findGo();
  if (go) return go;
  log(`no Go toolchain found (${process.env.GO ? `$GO=${process.env.GO}` : 'go on PATH, $GOROOT/bin/go, /usr/local/go/bin/go'}): cannot build ${cannotBuild}`);
  process.exit(EXIT_NO_GO);
}
