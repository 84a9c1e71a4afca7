// Starts the app command of `pillion run … -- <cmd>` with the environment Dapr gives apps,
// and reports when it exits so the sidecar stops with it.
import { spawn, type ChildProcess } from 'node:child_process';
import type { RunConfig } from '../config/run-config.js';

export interface AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  stop(graceMs: number): Promise<void>;
}

export function appEnv(cfg: RunConfig, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'PILLION_INVOKED_AS') out[k] = v;
  out.APP_ID = cfg.appId;
  out.DAPR_HTTP_PORT = String(cfg.httpPort);
  out.DAPR_GRPC_PORT = String(cfg.grpcPort);
  out.APP_PROTOCOL = cfg.appProtocol;
  if (cfg.appPort !== undefined) out.APP_PORT = String(cfg.appPort);
  // DAPR_API_TOKEN and APP_API_TOKEN pass through unchanged (already in env when set).
  return out;
}

export function startApp(cfg: RunConfig, env: Readonly<Record<string, string | undefined>>): AppProcess {
  const [cmd, ...args] = cfg.appCommand;
  const child = spawn(cmd!, args, { stdio: 'inherit', env: appEnv(cfg, env) });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(127));
  });
  return {
    child,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), Math.max(graceMs, 100));
      await exited;
      clearTimeout(t);
    },
  };
}
