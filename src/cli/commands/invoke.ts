// `pillion invoke`: service invocation through the sidecar, sending the API token (the Dapr
// CLI's `dapr invoke` sends none). Flags mirror `dapr invoke`. The answer's body goes to
// stdout as it came; a non-2xx answer exits 1.
import { HTTPExtension_Verb } from '../../gen/dapr/proto/common/v1/common_pb.js';
import { Dapr } from '../../client/index.js';
import { parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';
import { CommandError, CONNECTION_OPTIONS, CONNECTION_USAGE, connect, httpFailure, jsonValue, payload, withConnection, writeOut, type Connection } from './sidecar-client.js';

export const INVOKE_USAGE = `Usage: pillion invoke --app-id <id> --method <method> [--verb <verb>] [--data <text> | --data-file <file|->] [flags]

Calls <method> of app <id> through the sidecar (POST /v1.0/invoke/<id>/method/<method>, or
gRPC InvokeService) and prints the app's answer on stdout. Exit 0 for a 2xx answer, 1 for
any other answer or error (Dapr's error code and message on stderr), 2 for bad flags.

  -a, --app-id <id>              the app to invoke (required)
  -m, --method <method>          its method, may hold a path and ?query (required)
  -v, --verb <verb>              HTTP verb (default POST)
  -d, --data <text>              request body
  -f, --data-file <file>         request body from a file ("-" = stdin)
  --content-type <type>          of the body (default application/json, as the Dapr CLI)

${CONNECTION_USAGE}`;

const VERBS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

export const invoke: Command = (argv, env) =>
  runCommand('invoke', INVOKE_USAGE, async () => {
    const { values: v } = parseOptions(argv, {
      ...CONNECTION_OPTIONS,
      'app-id': { type: 'string', short: 'a' },
      method: { type: 'string', short: 'm' },
      verb: { type: 'string', short: 'v' },
      data: { type: 'string', short: 'd' },
      'data-file': { type: 'string', short: 'f' },
      'content-type': { type: 'string' },
    });
    if (v.help) {
      process.stdout.write(INVOKE_USAGE);
      return 0;
    }
    const appId = v['app-id'];
    if (!appId) throw new UsageError('--app-id is required');
    const method = (v.method ?? '').replace(/^\/+/, '');
    if (!method) throw new UsageError('--method is required');
    const verb = (v.verb ?? 'POST').toUpperCase();
    if (!VERBS.has(verb)) throw new UsageError(`--verb: ${JSON.stringify(v.verb)} is not an HTTP verb`);
    const body = payload(v.data, v['data-file']);
    const contentType = v['content-type'] ?? 'application/json';
    const c = connect(v, env, appId);
    return withConnection(c, () => (c.protocol === 'http' ? viaHttp(c, appId, method, verb, body, contentType) : viaGrpc(c, appId, method, verb, body, contentType)));
  });

async function viaHttp(c: Connection, appId: string, method: string, verb: string, body: Buffer | undefined, contentType: string): Promise<number> {
  const headers: Record<string, string> = body ? { 'content-type': contentType } : {};
  const res = await c.client.http(verb, `/v1.0/invoke/${encodeURIComponent(appId)}/method/${method}`, body, headers);
  if (res.status >= 200 && res.status < 300) {
    writeOut(res.body);
    return 0;
  }
  // Dapr's own errors are reported as such; anything else is the app's answer: shown as it is.
  const daprError = typeof (jsonValue(res.body)?.value as { errorCode?: unknown } | undefined)?.errorCode === 'string';
  if (daprError || res.status === 401) throw httpFailure(c, res);
  writeOut(res.body);
  throw new CommandError(`the app answered HTTP ${res.status}`);
}

async function viaGrpc(c: Connection, appId: string, method: string, verb: string, body: Buffer | undefined, contentType: string): Promise<number> {
  const q = method.indexOf('?');
  const res = await c.client.grpc(Dapr.method.invokeService, {
    id: appId,
    message: {
      method: q < 0 ? method : method.slice(0, q),
      data: { value: body ?? new Uint8Array() },
      contentType: body ? contentType : '',
      httpExtension: { verb: HTTPExtension_Verb[verb as keyof typeof HTTPExtension_Verb], querystring: q < 0 ? '' : method.slice(q + 1) },
    },
  });
  writeOut(res.data?.value ?? new Uint8Array());
  return 0;
}
