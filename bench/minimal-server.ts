// The "minimal" baseline: the least work any server answering Dapr's authenticated state GET
// correctly must do on Node — match the route, compare the token in constant time, read the
// value from a SQLite table (WAL, prepared statement) — and nothing else: no metrics, no
// logging, no CORS, no API lists, no expiry, no promises. It is not a product; it tells how much
// of the gap between Pillion and the bare server is the job itself (a SQLite read, a route, a
// token) and how much is Pillion. Runs inside bare-server.ts's process, on its own port.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import FindMyWay from 'find-my-way';
import { createStaticTokenSet } from '../src/security/token-set.js';

export function minimalServer(token: string, value: string, etag: string): Server {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'pillion-minimal-')), 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL, etag TEXT NOT NULL)');
  db.prepare('INSERT INTO state VALUES (?, ?, ?)').run('bench||k', Buffer.from(value), etag);
  const get = db.prepare<[string], { value: Buffer; etag: string }>('SELECT value, etag FROM state WHERE key = ?');
  const tokens = createStaticTokenSet([token]);
  const router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true });
  router.on('GET', '/v1.0/state/:storeName/:key', () => {});

  return createServer((req, res) => {
    req.resume();
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const found = router.find('GET', qi >= 0 ? url.slice(0, qi) : url);
    let presented: string | undefined;
    const raw = req.rawHeaders; // cheaper than building req.headers
    for (let i = 0; i < raw.length && presented === undefined; i += 2) if (raw[i]!.toLowerCase() === 'dapr-api-token') presented = raw[i + 1];
    if (!found || presented === undefined || !tokens.matches(presented)) {
      res.writeHead(found ? 401 : 404).end();
      return;
    }
    const row = get.get(`bench||${found.params.key}`);
    if (!row) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: row.etag, 'content-length': row.value.length });
    res.end(row.value);
  });
}
