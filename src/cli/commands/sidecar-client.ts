// What `pillion invoke`, `publish` and `state` share: the flags that say where the sidecar is
// and which token to send, the client built from them (pillion/client), the --data /
// --data-file payload, and how failures are reported. The token comes from --token-file,
// else DAPR_API_TOKEN_FILE, else DAPR_API_TOKEN — and is never printed: failures name where
// it came from, not what it is.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, GrpcCallError, type HttpResult, type PillionClient } from '../../client/index.js';
import { parseDuration } from '../../util/units.js';
import { intOption, UsageError } from './common.js';

type Env = Readonly<Record<string, string | undefined>>;

/** node:util parseArgs options every client command takes. */
export const CONNECTION_OPTIONS = {
  'dapr-http-port': { type: 'string' },
  'dapr-grpc-port': { type: 'string' },
  protocol: { type: 'string' },
  'token-file': { type: 'string' },
  'unix-domain-socket': { type: 'string', short: 'u' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_USAGE = `Sidecar and token (all commands):
  --dapr-http-port <port>        HTTP API port (default $DAPR_HTTP_PORT, else 3500)
  --dapr-grpc-port <port>        gRPC API port (default $DAPR_GRPC_PORT, else 50001)
  --protocol http|grpc           API to call (default http)
  -u, --unix-domain-socket <p>   the sidecar's --unix-domain-socket folder (the socket of the
                                 app named by the command), or a socket file
  --token-file <file>            file holding the API token (first token line)
  --timeout <duration>           give up after this long (default 60s)
  The token is read from --token-file, else $DAPR_API_TOKEN_FILE, else $DAPR_API_TOKEN, and
  sent as dapr-api-token; it is never printed.
`;

export interface Connection {
  readonly client: PillionClient;
  readonly protocol: 'http' | 'grpc';
  /** where the sidecar was looked for, for messages */
  readonly where: string;
  /** where the token came from ("DAPR_API_TOKEN", "--token-file /x"), or undefined when none */
  readonly tokenSource?: string;
}

interface ConnectionValues {
  'dapr-http-port'?: string;
  'dapr-grpc-port'?: string;
  protocol?: string;
  'token-file'?: string;
  'unix-domain-socket'?: string;
  timeout?: string;
}

/** Builds the client; `appId` names the socket inside a --unix-domain-socket folder. */
export function connect(v: ConnectionValues, env: Env, appId: string | undefined): Connection {
  const protocol = v.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'grpc') throw new UsageError(`--protocol: ${JSON.stringify(protocol)} is not http or grpc`);
  const httpPort = intOption('dapr-http-port', v['dapr-http-port'] ?? (env.DAPR_HTTP_PORT || undefined), 3500, 1, 65535);
  const grpcPort = intOption('dapr-grpc-port', v['dapr-grpc-port'] ?? (env.DAPR_GRPC_PORT || undefined), 50001, 1, 65535);
  const timeoutMs = parseDuration(v.timeout ?? '60s');
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: ${JSON.stringify(v.timeout)} is not a duration such as 30s`);

  const tokenFile = v['token-file'] ?? (env.DAPR_API_TOKEN_FILE || undefined);
  let tokenSource: string | undefined;
  if (tokenFile) {
    tokenSource = v['token-file'] ? `--token-file ${tokenFile}` : `DAPR_API_TOKEN_FILE (${tokenFile})`;
    checkToken(tokenFromFile(tokenFile), tokenSource);
  } else if (env.DAPR_API_TOKEN) {
    tokenSource = 'DAPR_API_TOKEN';
    checkToken(env.DAPR_API_TOKEN, tokenSource);
  }

  let socket: string | undefined;
  if (v['unix-domain-socket']) socket = socketPath(v['unix-domain-socket'], appId, protocol);
  const where = socket ?? `127.0.0.1:${protocol === 'http' ? httpPort : grpcPort}`;
  const client = createClient({
    env: { DAPR_API_TOKEN: env.DAPR_API_TOKEN },
    ...(tokenFile ? { tokenFile } : {}),
    httpPort,
    grpcPort,
    timeoutMs,
    ...(socket ? (protocol === 'http' ? { httpSocketPath: socket } : { grpcSocketPath: socket }) : {}),
  });
  return { client, protocol, where, tokenSource };
}

/** A token file that is missing or holds no token is an error here, not a silent "no token". */
function tokenFromFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read the token file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const token = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (token === undefined) throw new CommandError(`the token file ${path} holds no token`);
  return token;
}

/** Refused here, by name only: Node's own error for a bad header value would quote the token. */
function checkToken(token: string, source: string): void {
  // Not ASCII is fine: the client sends the token's UTF-8 bytes, which the sidecar compares.
  if (token === '' || /[\x00-\x20\x7f-\xa0]/.test(token)) {
    throw new CommandError(`the token from ${source} holds characters a header cannot carry (spaces or control characters)`);
  }
}

/** daprd names its sockets dapr-<app-id>-<http|grpc>.socket inside --unix-domain-socket. */
function socketPath(path: string, appId: string | undefined, protocol: 'http' | 'grpc'): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new CommandError(`--unix-domain-socket ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isDir) return path;
  if (!appId) throw new UsageError('--unix-domain-socket <folder> needs the app id of the sidecar (--app-id / --publish-app-id)');
  return join(path, `dapr-${appId}-${protocol}.socket`);
}

/** --data or --data-file (at most one); undefined when neither. "-" reads stdin. */
export function payload(data: string | undefined, dataFile: string | undefined): Buffer | undefined {
  if (data !== undefined && dataFile !== undefined) throw new UsageError('give --data or --data-file, not both');
  if (data !== undefined) return Buffer.from(data, 'utf8');
  if (dataFile === undefined) return undefined;
  try {
    return readFileSync(dataFile === '-' ? 0 : dataFile);
  } catch (err) {
    throw new CommandError(`cannot read --data-file ${dataFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** JSON value of bytes, or undefined when they are not JSON. */
export function jsonValue(b: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(Buffer.from(b).toString('utf8')) };
  } catch {
    return undefined;
  }
}

/** A failure to report on stderr with exit code 1 (the message never holds a token). */
export class CommandError extends Error {}

const GRPC_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

const tokenHint = (c: Connection): string =>
  c.tokenSource ? `the token from ${c.tokenSource} was refused` : 'no token was sent: set DAPR_API_TOKEN, DAPR_API_TOKEN_FILE or --token-file';

/** The failure of an HTTP answer that is not 2xx: Dapr's error JSON as "CODE: message". */
export function httpFailure(c: Connection, res: HttpResult): CommandError {
  const text = res.body.toString('utf8').trim();
  if (res.status === 401) return new CommandError(`HTTP 401: ${text || 'unauthorized'} (${tokenHint(c)})`);
  const err = jsonValue(res.body)?.value as { errorCode?: unknown; message?: unknown } | undefined;
  if (err && typeof err.errorCode === 'string') return new CommandError(`${err.errorCode}: ${String(err.message ?? '')} (HTTP ${res.status})`);
  return new CommandError(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
}

/** Any failure of a call as the one line the user sees. */
export function callFailure(c: Connection, err: unknown): Error {
  if (err instanceof CommandError || err instanceof UsageError) return err;
  if (err instanceof GrpcCallError) {
    const name = GRPC_NAMES[err.code] ?? String(err.code);
    if (err.code === 16) return new CommandError(`gRPC ${name}: ${err.message} (${tokenHint(c)})`);
    return new CommandError(`${err.reason ? `${err.reason}: ` : ''}${err.message} (gRPC ${name})`);
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return new CommandError(`cannot reach the sidecar at ${c.where} (${code}); is it running? (--dapr-http-port, --dapr-grpc-port, --unix-domain-socket)`);
  return new CommandError(`the call to the sidecar at ${c.where} failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Runs a call and closes the client whatever happens. */
export async function withConnection<T>(c: Connection, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw callFailure(c, err);
  } finally {
    c.client.close();
  }
}

/** Writes bytes to stdout; adds a newline only for a terminal, so pipes get the exact bytes. */
export function writeOut(b: Uint8Array | string): void {
  const buf = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b);
  process.stdout.write(buf);
  if (process.stdout.isTTY && buf.length && buf[buf.length - 1] !== 0x0a) process.stdout.write('\n');
}
