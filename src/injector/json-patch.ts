// Applies the injector's RFC 6902 "add" operations to a JSON document (for `pillion inject`,
// which writes manifests instead of answering the API server). Pure: returns a new document.
import type { PatchOp } from './types.js';

export class PatchError extends Error {}

const unescape = (t: string): string => t.replace(/~1/g, '/').replace(/~0/g, '~');

export function applyPatch<T>(doc: T, ops: readonly PatchOp[]): T {
  const root = structuredClone(doc) as unknown;
  for (const op of ops) {
    if (op.op !== 'add') throw new PatchError(`unsupported operation ${JSON.stringify(op.op)}`);
    if (!op.path.startsWith('/')) throw new PatchError(`invalid path ${JSON.stringify(op.path)}`);
    const tokens = op.path.slice(1).split('/').map(unescape);
    const last = tokens.pop()!;
    let target: unknown = root;
    for (const t of tokens) {
      target = Array.isArray(target) ? target[Number(t)] : (target as Record<string, unknown> | null)?.[t];
      if (target === undefined || target === null || typeof target !== 'object') throw new PatchError(`path ${op.path}: parent does not exist`);
    }
    const value = structuredClone(op.value);
    if (Array.isArray(target)) {
      const i = last === '-' ? target.length : Number(last);
      if (!/^(\d+|-)$/.test(last) || i > target.length) throw new PatchError(`path ${op.path}: bad array index`);
      target.splice(i, 0, value);
    } else {
      (target as Record<string, unknown>)[last] = value;
    }
  }
  return root as T;
}
