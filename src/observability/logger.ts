// Logging with pino. Lines carry daprd's fields (app_id, scope, type, ver) so existing log
// pipelines keep working; --log-as-json gives JSON lines, otherwise daprd's logfmt-style text.
// Nothing secret is ever passed to the logger: tokens are logged only as fingerprints.
import { hostname as osHostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { VERSION } from '../version.js';

export type { Logger };

export interface LoggerOptions {
  readonly appId: string;
  readonly level: string;
  readonly json: boolean;
  /** where lines go (default stdout, as daprd) */
  readonly stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const out = opts.stream ?? process.stdout;
  const base = { app_id: opts.appId, instance: hostnameSafe(), scope: 'pillion.runtime', type: 'log', ver: VERSION };
  const options: pino.LoggerOptions = {
    level: opts.level === 'fatal' ? 'fatal' : opts.level,
    base,
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (opts.json) return pino(options, out);
  return pino(options, { write: (line: string) => out.write(toText(line)) });
}

// time="…" level=info msg="…" app_id=… scope=… type=log ver=…
function toText(line: string): string {
  const o = JSON.parse(line) as Record<string, unknown>;
  const { time, level, msg, ...rest } = o;
  let s = `time="${String(time)}" level=${String(level)} msg=${JSON.stringify(String(msg ?? ''))}`;
  for (const [k, v] of Object.entries(rest)) s += ` ${k}=${typeof v === 'string' && !/[\s"]/.test(v) ? v : JSON.stringify(v)}`;
  return s + '\n';
}

function hostnameSafe(): string {
  try {
    return osHostname();
  } catch {
    return '';
  }
}
