// HTTP adapter of the secrets API.
import { create } from '@bufbuild/protobuf';
import { GetBulkSecretRequestSchema, GetSecretRequestSchema } from '../../gen/dapr/proto/runtime/v1/secret_pb.js';
import type { CoreContext } from '../../core/context.js';
import * as secrets from '../../core/secrets.js';
import { queryMetadata } from './request-helpers.js';
import { json, type RouteDef } from './types.js';

export function secretRoutes(ctx: CoreContext): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1.0/secrets/:storeName/bulk',
      group: 'secrets',
      handler: async (req) => {
        const res = await secrets.getBulkSecret(
          ctx,
          create(GetBulkSecretRequestSchema, { storeName: req.params.storeName!, metadata: queryMetadata(req.query) }),
        );
        const out: Record<string, Record<string, string>> = {};
        for (const [name, s] of Object.entries(res.data)) out[name] = s.secrets;
        return json(200, out);
      },
    },
    {
      method: 'GET',
      path: '/v1.0/secrets/:storeName/:key',
      group: 'secrets',
      handler: async (req) => {
        const res = await secrets.getSecret(
          ctx,
          create(GetSecretRequestSchema, { storeName: req.params.storeName!, key: req.params.key!, metadata: queryMetadata(req.query) }),
        );
        return json(200, res.data);
      },
    },
  ];
}
