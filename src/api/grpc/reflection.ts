// gRPC server reflection (grpc.reflection.v1 and v1alpha), so grpcurl and similar tools work
// against the sidecar without local .proto files. A bidi-streaming service: it goes through
// the same interceptors as every other call, so it needs the API token too (as in daprd).
import { create, createRegistry, toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as v1 from '../../gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';
import type { BidiHandler, GrpcServer } from './server.js';

type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/** Every file the given services need, dependencies included, by name. */
function collectFiles(services: readonly DescService[]): Map<string, DescFile> {
  const files = new Map<string, DescFile>();
  const add = (f: DescFile): void => {
    if (files.has(f.proto.name)) return;
    files.set(f.proto.name, f);
    f.dependencies.forEach(add);
  };
  services.forEach((s) => add(s.file));
  return files;
}

/** The file and its transitive dependencies, serialized, requested file first. */
function fileSet(file: DescFile): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  const add = (f: DescFile): void => {
    if (out.has(f.proto.name)) return;
    out.set(f.proto.name, toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(add);
  };
  add(file);
  return [...out.values()];
}

export function registerReflection(server: GrpcServer, served: readonly DescService[]): void {
  const all = [...served, v1.ServerReflection, v1alpha.ServerReflection];
  const files = collectFiles(all);
  const registry = createRegistry(...files.values());
  const serviceNames = all.map((s) => s.typeName);

  const lookupSymbol = (symbol: string): DescFile | undefined => {
    const direct = registry.get(symbol);
    if (direct) return direct.file;
    // "pkg.Service.Method" names a method: look up its service
    const parent = symbol.slice(0, symbol.lastIndexOf('.'));
    const svc = registry.getService(parent);
    return svc?.file;
  };

  const answer = (req: Request): Record<string, unknown> => {
    const base = { validHost: req.host, originalRequest: req };
    const r = req.messageRequest;
    const notFound = (what: string) => ({ ...base, messageResponse: { case: 'errorResponse', value: { errorCode: 5, errorMessage: `${what} not found` } } });
    switch (r.case) {
      case 'listServices':
        return { ...base, messageResponse: { case: 'listServicesResponse', value: { service: serviceNames.map((name) => ({ name })) } } };
      case 'fileByFilename': {
        const f = files.get(r.value);
        return f ? { ...base, messageResponse: { case: 'fileDescriptorResponse', value: { fileDescriptorProto: fileSet(f) } } } : notFound(`file ${r.value}`);
      }
      case 'fileContainingSymbol': {
        const f = lookupSymbol(r.value);
        return f ? { ...base, messageResponse: { case: 'fileDescriptorResponse', value: { fileDescriptorProto: fileSet(f) } } } : notFound(`symbol ${r.value}`);
      }
      case 'allExtensionNumbersOfType':
        return { ...base, messageResponse: { case: 'allExtensionNumbersResponse', value: { baseTypeName: r.value, extensionNumber: [] } } };
      default:
        return { ...base, messageResponse: { case: 'errorResponse', value: { errorCode: 12, errorMessage: 'request not supported' } } };
    }
  };

  const handler = (schema: typeof v1.ServerReflectionResponseSchema | typeof v1alpha.ServerReflectionResponseSchema): BidiHandler =>
    async (reqs, _ctx, send) => {
      for await (const req of reqs as AsyncIterable<Request>) await send(create(schema as typeof v1.ServerReflectionResponseSchema, answer(req) as never));
    };
  server.addService(v1.ServerReflection, { serverReflectionInfo: handler(v1.ServerReflectionResponseSchema) });
  server.addService(v1alpha.ServerReflection, { serverReflectionInfo: handler(v1alpha.ServerReflectionResponseSchema) });
}
