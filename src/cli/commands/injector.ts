// `pillion injector`: the mutating admission webhook server; `pillion injector certs`: its TLS
// certificate and the webhook configuration's caBundle.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../observability/logger.js';
import { parseQuantity } from '../../util/units.js';
import { startWebhook } from '../../injector/webhook-server.js';
import { createWebhookCerts, serviceDnsNames } from '../../injector/webhook-certs.js';
import type { PatchOp } from '../../injector/types.js';
import { describeError, intOption, isNotFound, kubeConfig, parseOptions, pullPolicy, runCommand, sidecarImage, UsageError } from './common.js';
import type { Command } from './index.js';

export const INJECTOR_USAGE = `Usage: pillion injector [flags]
       pillion injector certs [flags]

Serves the sidecar injector, a Kubernetes mutating admission webhook: HTTPS POST /mutate
(AdmissionReview v1 and v1beta1), GET /healthz and /readyz on the same port, Prometheus
/metrics on --metrics-port. The certificate files are reloaded when they change.

  --port <int>                 HTTPS port (default 4000)
  --listen-address <addr>      address to listen on (default 0.0.0.0)
  --tls-cert-file <file>       certificate chain, PEM (default /etc/pillion/tls/tls.crt)
  --tls-key-file <file>        private key, PEM (default /etc/pillion/tls/tls.key)
  --sidecar-image <image>      default sidecar image (env SIDECAR_IMAGE; default pillion:<version>)
  --image-pull-policy <p>      Always, IfNotPresent or Never (default: Kubernetes' default)
  --metrics-port <int>         Prometheus metrics port, plain HTTP; 0 = off (default 9090)
  --max-body-size <quantity>   largest AdmissionReview accepted (default 8Mi)
  --cert-poll-seconds <int>    how often the certificate files are checked (default 5)
  --graceful-shutdown-seconds <int>  time given to in-flight requests on SIGTERM (default 5)
  --log-level <level>          debug, info, warn, error (default info)
  --log-as-json                JSON log lines

pillion injector certs: creates a CA and a serving certificate for the injector Service,
stores them in a kubernetes.io/tls Secret and sets the caBundle of the
MutatingWebhookConfiguration (with your kubeconfig); with --out-dir, writes the files instead.

  --namespace <ns>             injector namespace (default pillion-system)
  --service <name>             injector Service (default pillion-injector)
  --secret <name>              TLS Secret (default pillion-injector-tls)
  --webhook <name>             MutatingWebhookConfiguration (default pillion-injector)
  --days <int>                 validity (default 365)
  --out-dir <dir>              write ca.crt, tls.crt, tls.key there; do not contact the cluster
  --context <name>             kubeconfig context
`;

export const injector: Command = (argv, env) =>
  argv[0] === 'certs' ? runCommand('injector certs', INJECTOR_USAGE, () => certs(argv.slice(1))) : runCommand('injector', INJECTOR_USAGE, () => serve(argv, env));

async function serve(argv: string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const { values: v } = parseOptions(argv, {
    port: { type: 'string' },
    'listen-address': { type: 'string' },
    'tls-cert-file': { type: 'string' },
    'tls-key-file': { type: 'string' },
    'sidecar-image': { type: 'string' },
    'image-pull-policy': { type: 'string' },
    'metrics-port': { type: 'string' },
    'metrics-listen-address': { type: 'string' },
    'max-body-size': { type: 'string' },
    'cert-poll-seconds': { type: 'string' },
    'graceful-shutdown-seconds': { type: 'string' },
    'log-level': { type: 'string' },
    'log-as-json': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(INJECTOR_USAGE);
    return 0;
  }
  const maxBody = parseQuantity(v['max-body-size'] ?? '8Mi');
  if (maxBody === undefined || maxBody <= 0) throw new UsageError(`--max-body-size: ${JSON.stringify(v['max-body-size'])} is not a positive quantity`);
  const level = v['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level: ${JSON.stringify(level)} is not debug, info, warn or error`);
  const metricsPort = intOption('metrics-port', v['metrics-port'], 9090, 0, 65535);
  const pp = pullPolicy(v['image-pull-policy']);
  const logger = createLogger({ appId: 'pillion-injector', level, json: v['log-as-json'] ?? false });
  let server;
  try {
    server = await startWebhook({
      port: intOption('port', v.port, 4000, 0, 65535),
      listenAddress: v['listen-address'] ?? '0.0.0.0',
      certFile: v['tls-cert-file'] ?? '/etc/pillion/tls/tls.crt',
      keyFile: v['tls-key-file'] ?? '/etc/pillion/tls/tls.key',
      config: { sidecarImage: await sidecarImage(v['sidecar-image'], env), ...(pp ? { imagePullPolicy: pp } : {}) },
      maxBodyBytes: maxBody,
      ...(metricsPort !== 0 ? { metricsPort } : {}),
      metricsListenAddress: v['metrics-listen-address'] ?? '0.0.0.0',
      certPollMs: intOption('cert-poll-seconds', v['cert-poll-seconds'], 5, 1) * 1000,
      gracefulShutdownMs: intOption('graceful-shutdown-seconds', v['graceful-shutdown-seconds'], 5, 0) * 1000,
      logger,
    });
  } catch (err) {
    logger.fatal(`cannot start the injector: ${(err as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => () => {
      logger.info(`received ${sig}, shutting down`);
      resolve();
    };
    process.once('SIGTERM', onSignal('SIGTERM'));
    process.once('SIGINT', onSignal('SIGINT'));
  });
  await server.stop();
  return 0;
}

async function certs(argv: string[]): Promise<number> {
  const { values: v } = parseOptions(argv, {
    namespace: { type: 'string' },
    service: { type: 'string' },
    secret: { type: 'string' },
    webhook: { type: 'string' },
    days: { type: 'string' },
    'out-dir': { type: 'string' },
    context: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(INJECTOR_USAGE);
    return 0;
  }
  const namespace = v.namespace ?? 'pillion-system';
  const service = v.service ?? 'pillion-injector';
  const tls = createWebhookCerts({ dnsNames: serviceDnsNames(service, namespace), now: new Date(), days: intOption('days', v.days, 365, 1, 3650) });
  const caBundle = Buffer.from(tls.caCert).toString('base64');
  if (v['out-dir']) {
    mkdirSync(v['out-dir'], { recursive: true });
    writeFileSync(join(v['out-dir'], 'ca.crt'), tls.caCert);
    writeFileSync(join(v['out-dir'], 'tls.crt'), tls.cert);
    writeFileSync(join(v['out-dir'], 'tls.key'), tls.key, { mode: 0o600 });
    chmodSync(join(v['out-dir'], 'tls.key'), 0o600);
    process.stderr.write(`wrote ca.crt, tls.crt, tls.key to ${v['out-dir']}; caBundle on stdout\n`);
    process.stdout.write(caBundle + '\n');
    return 0;
  }
  const { k8s, kc } = await kubeConfig(v.context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const secretName = v.secret ?? 'pillion-injector-tls';
  const body = {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/name': 'pillion-injector' } },
    data: { 'tls.crt': Buffer.from(tls.cert).toString('base64'), 'tls.key': Buffer.from(tls.key).toString('base64'), 'ca.crt': caBundle },
  };
  try {
    const existing = await core.readNamespacedSecret({ name: secretName, namespace });
    await core.replaceNamespacedSecret({ name: secretName, namespace, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await core.createNamespacedSecret({ namespace, body });
  }
  process.stderr.write(`Secret ${namespace}/${secretName} written (certificate for ${service}.${namespace}.svc)\n`);
  const webhookName = v.webhook ?? 'pillion-injector';
  try {
    const cfg = await adm.readMutatingWebhookConfiguration({ name: webhookName });
    const ops: PatchOp[] = (cfg.webhooks ?? []).map((_, i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }));
    if (ops.length) await adm.patchMutatingWebhookConfiguration({ name: webhookName, body: ops });
    process.stderr.write(`caBundle set on MutatingWebhookConfiguration ${webhookName} (${ops.length} webhook(s))\n`);
  } catch (err) {
    process.stderr.write(`MutatingWebhookConfiguration ${webhookName} not updated: ${describeError(err)}\nSet its caBundle to:\n`);
    process.stdout.write(caBundle + '\n');
    return 1;
  }
  return 0;
}
