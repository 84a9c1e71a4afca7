// grpc-timeout header ("100m", "5S", "1H") → milliseconds, per the gRPC HTTP/2 spec.
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Math.max(0, Math.ceil(Number(m[1]) * UNIT_MS[m[2]!]!));
}
