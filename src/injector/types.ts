// The few Kubernetes shapes the injector reads and writes (plain JSON; no client library, so
// the pure core stays free of I/O dependencies). Only the fields used here are typed.

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  env?: EnvVar[];
  [field: string]: unknown;
}

export interface Volume {
  name: string;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  [field: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** RFC 6902 operations; the injector only ever adds. */
export interface PatchOp {
  readonly op: 'add';
  readonly path: string;
  readonly value: unknown;
}

/** What the injector is configured with (resolved from flags/env by the CLI, never read here). */
export interface InjectorConfig {
  /** default sidecar image, used unless the pod sets dapr.io/sidecar-image */
  readonly sidecarImage: string;
  /** imagePullPolicy of the sidecar (Kubernetes default when unset) */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

/** Escapes one JSON Pointer reference token (RFC 6901): ~ → ~0, / → ~1. */
export const pointerToken = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
