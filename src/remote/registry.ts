// Self-hosted name resolution: sidecars sharing $PILLION_HOME find each other by app id in one
// SQLite file ($PILLION_HOME/registry.db, WAL, busy_timeout). Each sidecar writes its row once
// its internal server listens, refreshes the heartbeat, and deletes the row on shutdown. A
// sidecar that died without cleaning up (kill -9) is never resolved: rows whose heartbeat is
// stale or whose process is gone are skipped and swept.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

export const REGISTRY_FILE = 'registry.db';
export const HEARTBEAT_MS = 5_000;
/** three missed heartbeats */
export const STALE_MS = 3 * HEARTBEAT_MS;

export interface RegistryEntry {
  /** unique per sidecar process (several instances of one app id may run) */
  readonly instance: string;
  readonly appId: string;
  readonly namespace: string;
  readonly host: string;
  readonly internalPort: number;
  readonly httpPort?: number;
  readonly grpcPort?: number;
  readonly appPort?: number;
  readonly pid: number;
  /** ms since the epoch */
  readonly startedAt: number;
  readonly heartbeat: number;
}

/** Is the process still there? (signal 0 checks without sending; EPERM = exists, not ours) */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pure: may this row be resolved at `now`? */
export function isLive(e: RegistryEntry, now: number, alive: (pid: number) => boolean = pidAlive): boolean {
  return now - e.heartbeat <= STALE_MS && alive(e.pid);
}

interface Row {
  instance: string; app_id: string; namespace: string; host: string; internal_port: number;
  http_port: number | null; grpc_port: number | null; app_port: number | null; pid: number; started_at: number; heartbeat: number;
}

const fromRow = (r: Row): RegistryEntry => ({
  instance: r.instance, appId: r.app_id, namespace: r.namespace, host: r.host, internalPort: r.internal_port,
  httpPort: r.http_port ?? undefined, grpcPort: r.grpc_port ?? undefined, appPort: r.app_port ?? undefined,
  pid: r.pid, startedAt: r.started_at, heartbeat: r.heartbeat,
});

export class Registry {
  private constructor(private readonly db: BetterSqlite3.Database, private readonly alive: (pid: number) => boolean) {}

  static async open(home: string, alive: (pid: number) => boolean = pidAlive): Promise<Registry> {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(home, REGISTRY_FILE), { timeout: 5_000 });
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.exec(`CREATE TABLE IF NOT EXISTS sidecars (
        instance TEXT PRIMARY KEY, app_id TEXT NOT NULL, namespace TEXT NOT NULL, host TEXT NOT NULL,
        internal_port INTEGER NOT NULL, http_port INTEGER, grpc_port INTEGER, app_port INTEGER,
        pid INTEGER NOT NULL, started_at INTEGER NOT NULL, heartbeat INTEGER NOT NULL)`);
      db.exec('CREATE INDEX IF NOT EXISTS sidecars_app ON sidecars (app_id, namespace)');
    } catch (err) {
      db.close();
      throw err;
    }
    return new Registry(db, alive);
  }

  register(e: RegistryEntry): void {
    this.db.prepare(`INSERT OR REPLACE INTO sidecars VALUES (@instance, @appId, @namespace, @host, @internalPort, @httpPort, @grpcPort, @appPort, @pid, @startedAt, @heartbeat)`)
      .run({ ...e, httpPort: e.httpPort ?? null, grpcPort: e.grpcPort ?? null, appPort: e.appPort ?? null });
  }

  /** Refreshes the row's heartbeat; re-creates nothing (a swept row stays gone until re-registered). */
  heartbeat(instance: string, now = Date.now()): boolean {
    return this.db.prepare('UPDATE sidecars SET heartbeat = ? WHERE instance = ?').run(now, instance).changes === 1;
  }

  remove(instance: string): void {
    this.db.prepare('DELETE FROM sidecars WHERE instance = ?').run(instance);
  }

  // prepared once: preparing costs as much as running it, and this runs on every lookup
  private byApp: BetterSqlite3.Statement | undefined;

  /** Live rows (of one app id and namespace, or all); dead ones are deleted on the way. */
  live(filter?: { appId: string; namespace: string }, now = Date.now()): RegistryEntry[] {
    const rows = (filter
      ? (this.byApp ??= this.db.prepare('SELECT * FROM sidecars WHERE app_id = ? AND namespace = ? ORDER BY started_at')).all(filter.appId, filter.namespace)
      : this.db.prepare('SELECT * FROM sidecars ORDER BY app_id, started_at').all()) as Row[];
    const out: RegistryEntry[] = [];
    const dead: string[] = [];
    for (const r of rows) {
      const e = fromRow(r);
      if (isLive(e, now, this.alive)) out.push(e);
      // a stale heartbeat alone may be a paused process: swept only when its pid is gone or
      // it has been silent for a day (the pid may since belong to another process)
      else if (!this.alive(e.pid) || now - e.heartbeat > 86_400_000) dead.push(e.instance);
    }
    if (dead.length) {
      const del = this.db.prepare('DELETE FROM sidecars WHERE instance = ?');
      this.db.transaction(() => dead.forEach((i) => del.run(i)))();
    }
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
