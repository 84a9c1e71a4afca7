// node:http2 binds every outgoing stream's start to an AsyncResource (`reqAsync.bind(...)` in
// ClientHttp2Session#request), and Node 20's AsyncResource#bind also hangs a deprecated
// `asyncResource` accessor on each bound function (DEP0172), made by two util.deprecate calls:
// ~15 µs per bind on a slow machine, once per sidecar-to-sidecar call and once per call to a
// gRPC app (bench/README.md "A lean AsyncResource#bind"). Node has since stopped building it
// (nodejs/node#59195 in v24, the property's end of life in #58618). This gives the running
// process the same binding without the deprecated property: the bound function still runs
// `fn` inside the resource's async scope (AsyncLocalStorage, async_hooks see the same), with
// the same `this`, arguments, return value and `length`. A Node whose bind no longer builds
// the accessor is left as it is.
import { AsyncResource } from 'node:async_hooks';

type Fn = (...args: unknown[]) => unknown;

/** Node's own bind, for what the lean one does not handle (set when swapped in). */
let fallback: (resource: AsyncResource, fn: unknown, thisArg: unknown) => Fn;

/** Swaps in the lean bind, once, where Node still builds the deprecated accessor; returns
 * whether the process uses it. */
export function useLeanAsyncBind(): boolean {
  const proto = AsyncResource.prototype as unknown as { bind: (fn: Fn, thisArg?: unknown) => Fn };
  if (proto.bind === leanBind) return true;
  if (!buildsDeprecatedAccessor()) return false;
  const original = proto.bind;
  // Anything but a function goes to Node's own, which throws its usual ERR_INVALID_ARG_TYPE.
  fallback = (resource, fn, thisArg) => original.call(resource, fn as Fn, thisArg);
  Object.defineProperty(proto, 'bind', { value: leanBind, writable: true, configurable: true, enumerable: false });
  return true;
}

/** Does this Node's AsyncResource#bind put a getter named asyncResource on what it returns? */
export function buildsDeprecatedAccessor(): boolean {
  const bound = new AsyncResource('pillion-probe').bind(() => {});
  return typeof Object.getOwnPropertyDescriptor(bound, 'asyncResource')?.get === 'function';
}

function leanBind(this: AsyncResource, fn: Fn, thisArg?: unknown): Fn {
  if (typeof fn !== 'function') return fallback(this, fn, thisArg);
  const resource = this;
  const bound: Fn = thisArg === undefined
    ? function (this: unknown, ...args: unknown[]) {
      return resource.runInAsyncScope(fn, this, ...args);
    }
    : resource.runInAsyncScope.bind(resource, fn, thisArg) as Fn;
  Object.defineProperty(bound, 'length', { value: fn.length, writable: false, enumerable: false, configurable: true });
  return bound;
}
