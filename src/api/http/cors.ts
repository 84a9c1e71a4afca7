// CORS for the HTTP API (--allowed-origins; off when empty, as in daprd). It runs before the
// token check: a browser's preflight carries no custom headers, so it can never carry the
// token. The preflight answer only describes what is allowed; the real request that follows
// is still authenticated.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Cors {
  /** true when the request was a preflight and has been answered */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createCors(allowedOrigins: readonly string[]): Cors | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const any = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  return {
    handle(req, res) {
      const origin = req.headers.origin;
      if (!origin) return false;
      if (!any && !allowed.has(origin.toLowerCase())) return false;
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
      const preflightMethod = req.headers['access-control-request-method'];
      if (req.method !== 'OPTIONS' || !preflightMethod) return false;
      res.setHeader('access-control-allow-methods', preflightMethod);
      const reqHeaders = req.headers['access-control-request-headers'];
      if (reqHeaders) res.setHeader('access-control-allow-headers', reqHeaders);
      res.setHeader('access-control-max-age', '300');
      res.writeHead(204).end();
      return true;
    },
  };
}
