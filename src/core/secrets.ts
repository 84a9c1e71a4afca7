// The secrets API, once for both protocols.
import { create } from '@bufbuild/protobuf';
import {
  GetBulkSecretResponseSchema,
  GetSecretResponseSchema,
  SecretResponseSchema,
  type GetBulkSecretRequest,
  type GetBulkSecretResponse,
  type GetSecretRequest,
  type GetSecretResponse,
} from '../gen/dapr/proto/runtime/v1/secret_pb.js';
import type { SecretStore } from '../components/types.js';
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';

function resolve(ctx: CoreContext, name: string): SecretStore {
  const store = ctx.components.secret(name);
  if (store) return store;
  if (!ctx.components.list().some((c) => c.type.startsWith('secretstores.'))) {
    throw new DaprError('ERR_SECRET_STORES_NOT_CONFIGURED', 'secret store is not configured');
  }
  throw new DaprError('ERR_SECRET_STORE_NOT_FOUND', `failed finding secret store with key ${name}`);
}

export async function getSecret(ctx: CoreContext, req: GetSecretRequest): Promise<GetSecretResponse> {
  const store = resolve(ctx, req.storeName);
  let data: Record<string, string> | undefined;
  try {
    data = await store.get(req.key, req.metadata);
  } catch (err) {
    throw new DaprError('ERR_SECRET_GET', `failed getting secret with key ${req.key} from secret store ${req.storeName}: ${(err as Error).message}`);
  }
  if (!data) {
    throw new DaprError('ERR_SECRET_GET', `failed getting secret with key ${req.key} from secret store ${req.storeName}: secret ${req.key} not found`);
  }
  return create(GetSecretResponseSchema, { data });
}

export async function getBulkSecret(ctx: CoreContext, req: GetBulkSecretRequest): Promise<GetBulkSecretResponse> {
  const store = resolve(ctx, req.storeName);
  let all: Record<string, Record<string, string>>;
  try {
    all = await store.bulkGet(req.metadata);
  } catch (err) {
    throw new DaprError('ERR_SECRET_GET', `failed getting secrets from secret store ${req.storeName}: ${(err as Error).message}`);
  }
  const data: Record<string, ReturnType<typeof create<typeof SecretResponseSchema>>> = {};
  for (const [name, secrets] of Object.entries(all)) data[name] = create(SecretResponseSchema, { secrets });
  return create(GetBulkSecretResponseSchema, { data });
}
