// CORS for the HTTP API (--allowed-origins; off when empty, as in daprd), with daprd's rules
// (go-chi/cors): "*" allows any origin without credentials; a list allows those origins
// (wildcards such as https://*.example.com too). It runs before the token check: a browser's
// preflight carries no custom headers, so it can never carry the token. The preflight answer
// only describes what is allowed; the real request that follows is still authenticated.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Cors {
  /** true when the request was a preflight and has been answered */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

const METHODS = new Set(['HEAD', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function createCors(allowedOrigins: readonly string[]): Cors | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const any = allowedOrigins.includes('*');
  const patterns = allowedOrigins.map(
    (o) => new RegExp('^' + o.toLowerCase().split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$'),
  );
  const allowed = (origin: string): boolean => any || patterns.some((p) => p.test(origin.toLowerCase()));
  return {
    handle(req, res) {
      const origin = req.headers.origin;
      const preflightMethod = req.headers['access-control-request-method'];
      if (req.method === 'OPTIONS' && preflightMethod) {
        res.setHeader('vary', ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers']);
        if (origin && allowed(origin) && METHODS.has(preflightMethod.toUpperCase())) {
          res.setHeader('access-control-allow-origin', any ? '*' : origin);
          res.setHeader('access-control-allow-methods', preflightMethod.toUpperCase());
          const reqHeaders = req.headers['access-control-request-headers'];
          if (reqHeaders) res.setHeader('access-control-allow-headers', reqHeaders);
        }
        res.writeHead(200, { 'content-length': 0 }).end();
        return true;
      }
      res.setHeader('vary', 'Origin');
      if (origin && allowed(origin)) res.setHeader('access-control-allow-origin', any ? '*' : origin);
      return false;
    },
  };
}
