// --help text, generated from the flag table so it can't drift from what is parsed.
import { FLAGS } from './flags.js';

export function runHelp(name: string): string {
  const usage = name === 'daprd' ? 'daprd [flags]' : 'pillion run [flags] [-- <app command> [args…]]';
  const lines = FLAGS.filter((f) => !f.aliasOf).map((f) => {
    const value = f.type === 'bool' ? '' : ` <${f.type}>`;
    const def = f.default === undefined || f.default === '' || (Array.isArray(f.default) && !f.default.length) ? '' : ` (default ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)})`;
    return `  --${f.name}${value}\n      ${f.help}${def}`;
  });
  return [
    `Usage: ${usage}`,
    '',
    'Runs a Dapr-compatible sidecar: the Dapr HTTP API (/v1.0/…) and gRPC API',
    '(dapr.proto.runtime.v1.Dapr) for one app. Flags use daprd\'s names; "--flag value",',
    '"--flag=value" and "-flag value" all work; list flags may repeat or hold commas.',
    '',
    'Environment:',
    '  DAPR_API_TOKEN   when set and non-empty, every API call must carry it in the',
    '                   dapr-api-token header (HTTP) or metadata (gRPC); read once at start',
    '  DAPR_API_TOKEN_FILE  file of accepted API tokens, one per line, reloaded on change',
    '                   (same as --api-token-file; takes precedence over DAPR_API_TOKEN)',
    '  APP_API_TOKEN    token for calls to the app; passed to the app command',
    '  APP_API_TOKEN_FILE   file holding the app token (first line), reloaded on change',
    '  PILLION_HOME     data folder of the embedded state store (default ~/.pillion); also',
  '                   holds the sidecar registry (registry.db) and the mTLS CA (trust/)',
  '  PILLION_TRUST_DIR  same as --trust-bundle-dir',
    '  PILLION_NODE     Node.js binary used by the bin/pillion launcher',
    '',
    'Flags:',
    ...lines,
    '',
    'Docs: docs/cli.md, docs/security.md, docs/errors.md',
  ].join('\n');
}

export const MAIN_HELP = `Usage: pillion <command> [flags]

Commands:
  run        run the sidecar (pillion run --help for its flags)
  inject     add the sidecar to Kubernetes manifests offline (pillion inject -f <file|->)
  injector   run the sidecar injector webhook; "injector certs" makes its TLS certificate
  token      create a token or JWT; rotate the token Secret in Kubernetes namespaces
  invoke     call a method of an app through the sidecar, with the API token
  publish    publish an event through the sidecar, with the API token
  state      get, set or delete a key of a state store through the sidecar, with the API token
  list       list the sidecars running on this machine (sharing $PILLION_HOME)
  trust      create the CA of sidecar-to-sidecar mTLS (a Kubernetes Secret, or files)
  version    print the version

Invoked as "daprd", the program behaves as "pillion run" (a drop-in for daprd).
`;
