// `--wait`: block until the sidecar on this port reports outbound-ready, as `daprd --wait`.
import http from 'node:http';

export async function waitForOutbound(port: number, host: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host, port, path: '/v1.0/healthz/outbound', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
    });
    if (status === 204) return 0;
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`timed out waiting for the sidecar on ${host}:${port} to be ready\n`);
  return 1;
}
