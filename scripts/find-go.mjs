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
