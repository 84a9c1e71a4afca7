// `pillion token create`: prints a random token or a signed JWT.
// `pillion token rotate`: writes a new token into a Secret in each namespace and, with
// --restart, rolls the Deployments, StatefulSets and DaemonSets whose pods use it (as
// `kubectl rollout restart`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseDuration } from '../../util/units.js';
import { restartPatch, secretWithToken, workloadsUsingSecret, type SecretLike } from '../../injector/rotation.js';
import { isDns1123Subdomain } from '../../injector/decide.js';
import { describeError, intOption, isNotFound, kubeConfig, parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';
import { randomToken, signJwt } from './token-tools.js';

export const TOKEN_USAGE = `Usage: pillion token create [--bytes <n>] [--encoding hex|base64url]
       pillion token create --jwt --key <private-key.pem> [--alg <alg>] [--sub <s>] [--aud <a,b>] [--iss <i>] [--kid <k>] [--ttl <duration>]
       pillion token rotate --secret <name> --namespaces <a,b> [--restart] [--from-file <file>] [--context <name>]

create   prints a new token on stdout: random (default 32 bytes, hex), or with --jwt a JWT
         signed with the private key (alg from the key: ES256 for P-256, RS256 for RSA,
         EdDSA for Ed25519; --ttl default 8760h, 0 = no expiry).
rotate   sets the key "token" of Secret <name> in each namespace (creating the Secret when
         absent) to a new random token, or to the content of --from-file ("-" = stdin).
         With --restart, every Deployment, StatefulSet and DaemonSet whose pod template
         names the Secret in
         dapr.io/api-token-secret or dapr.io/app-token-secret is restarted (pod template
         annotation kubectl.kubernetes.io/restartedAt). The token is never printed; its
         fingerprint (first 8 hex digits of its SHA-256) is.
`;

const fingerprint = (t: string): string => createHash('sha256').update(t).digest('hex').slice(0, 8);

export const token: Command = (argv) =>
  runCommand(`token ${argv[0] ?? ''}`.trim(), TOKEN_USAGE, async () => {
    const [sub, ...rest] = argv;
    if (sub === 'create') return create(rest);
    if (sub === 'rotate') return rotate(rest);
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(TOKEN_USAGE);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'a subcommand is required' : `unknown subcommand ${JSON.stringify(sub)}`);
  });

async function create(argv: string[]): Promise<number> {
  const { values: v } = parseOptions(argv, {
    bytes: { type: 'string' },
    encoding: { type: 'string' },
    jwt: { type: 'boolean' },
    key: { type: 'string' },
    alg: { type: 'string' },
    sub: { type: 'string' },
    aud: { type: 'string' },
    iss: { type: 'string' },
    kid: { type: 'string' },
    ttl: { type: 'string' },
  });
  if (!v.jwt) {
    for (const f of ['key', 'alg', 'sub', 'aud', 'iss', 'kid', 'ttl'] as const) if (v[f] !== undefined) throw new UsageError(`--${f} needs --jwt`);
    const enc = v.encoding ?? 'hex';
    if (enc !== 'hex' && enc !== 'base64url') throw new UsageError(`--encoding: ${JSON.stringify(enc)} is not hex or base64url`);
    process.stdout.write(randomToken(intOption('bytes', v.bytes, 32, 16, 1024), enc) + '\n');
    return 0;
  }
  if (v.bytes !== undefined || v.encoding !== undefined) throw new UsageError('--bytes and --encoding are for random tokens, not --jwt');
  if (!v.key) throw new UsageError('--jwt needs --key <private key PEM file>');
  const ttlMs = parseDuration(v.ttl ?? '8760h', 1000);
  if (ttlMs === undefined || ttlMs < 0) throw new UsageError(`--ttl: ${JSON.stringify(v.ttl)} is not a duration (e.g. 24h, 30m; 0 = no expiry)`);
  const jwt = await signJwt({
    keyPem: readFileSync(v.key, 'utf8'),
    ...(v.alg ? { alg: v.alg } : {}),
    ...(v.sub ? { sub: v.sub } : {}),
    ...(v.iss ? { iss: v.iss } : {}),
    ...(v.kid ? { kid: v.kid } : {}),
    aud: (v.aud ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    ttlSeconds: Math.floor(ttlMs / 1000),
    now: new Date(),
  });
  process.stdout.write(jwt + '\n');
  return 0;
}

async function rotate(argv: string[]): Promise<number> {
  const { values: v } = parseOptions(argv, {
    secret: { type: 'string' },
    namespaces: { type: 'string' },
    restart: { type: 'boolean' },
    'from-file': { type: 'string' },
    context: { type: 'string' },
  });
  if (!v.secret || !isDns1123Subdomain(v.secret)) throw new UsageError('--secret <name> is required (a valid Secret name)');
  const namespaces = (v.namespaces ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!namespaces.length) throw new UsageError('--namespaces <a,b> is required');
  const newToken = v['from-file'] ? readFileSync(v['from-file'] === '-' ? 0 : v['from-file'], 'utf8').trim() : randomToken(32, 'hex');
  if (!newToken) throw new UsageError('--from-file: the token is empty');

  const { k8s, kc } = await kubeConfig(v.context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  let failures = 0;
  for (const namespace of namespaces) {
    try {
      let existing: SecretLike | undefined;
      try {
        existing = (await core.readNamespacedSecret({ name: v.secret, namespace })) as SecretLike;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const body = secretWithToken(existing, v.secret, namespace, newToken);
      if (existing) await core.replaceNamespacedSecret({ name: v.secret, namespace, body: body as never });
      else await core.createNamespacedSecret({ namespace, body: body as never });
      process.stderr.write(`${existing ? 'updated' : 'created'} Secret ${namespace}/${v.secret} (token fingerprint ${fingerprint(newToken)})\n`);
      if (!v.restart) continue;
      // What `kubectl rollout restart` supports: every workload kind with a pod template it rolls.
      const kinds = [
        { kind: 'Deployment', list: () => apps.listNamespacedDeployment({ namespace }), patch: (name: string, body: object) => apps.patchNamespacedDeployment({ name, namespace, body }) },
        { kind: 'StatefulSet', list: () => apps.listNamespacedStatefulSet({ namespace }), patch: (name: string, body: object) => apps.patchNamespacedStatefulSet({ name, namespace, body }) },
        { kind: 'DaemonSet', list: () => apps.listNamespacedDaemonSet({ namespace }), patch: (name: string, body: object) => apps.patchNamespacedDaemonSet({ name, namespace, body }) },
      ];
      const now = new Date();
      let restarted = 0;
      for (const k of kinds) {
        const list = await k.list();
        for (const name of workloadsUsingSecret(list.items, v.secret)) {
          const w = list.items.find((x) => x.metadata?.name === name)!;
          await k.patch(name, restartPatch(w, now));
          process.stderr.write(`restarted ${k.kind} ${namespace}/${name}\n`);
          restarted++;
        }
      }
      if (!restarted) process.stderr.write(`no Deployment, StatefulSet or DaemonSet in ${namespace} uses Secret ${v.secret}\n`);
    } catch (err) {
      failures++;
      process.stderr.write(`namespace ${namespace}: ${describeError(err)}\n`);
    }
  }
  return failures ? 1 : 0;
}
