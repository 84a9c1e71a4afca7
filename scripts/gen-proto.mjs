// Generates TypeScript for Dapr's .proto files at build time.
// The .proto files are consumed from npm packages (never copied into this repo):
//   - dapr/proto/**           from @dapr/dapr (Dapr 1.17 API surface)
//   - google/rpc/*.proto      from google-proto-files (status + error details for gRPC errors)
//   - grpc/reflection/**      from @grpc/reflection (server reflection, used by grpcurl)
// Output goes to src/gen (git-ignored) and is compiled with the rest of the sources.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const daprProto = join(dirname(require.resolve('@dapr/dapr/package.json')), 'proto');
const googleProto = dirname(require.resolve('google-proto-files/package.json'));
const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc');
const work = join(root, 'node_modules', '.cache', 'pillion-proto');
const out = join(root, 'src', 'gen');

// buf ignores inputs below node_modules, so stage only the .proto files in a cache folder.
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const onlyProto = (src) => statSync(src).isDirectory() || src.endsWith('.proto');
cpSync(join(daprProto, 'dapr'), join(work, 'dapr'), { recursive: true, filter: onlyProto });
mkdirSync(join(work, 'google', 'rpc'), { recursive: true });
for (const f of ['status.proto', 'error_details.proto']) {
  cpSync(join(googleProto, 'google', 'rpc', f), join(work, 'google', 'rpc', f));
}

cpSync(join(reflectionProto, 'reflection'), join(work, 'grpc', 'reflection'), { recursive: true, filter: onlyProto });

rmSync(out, { recursive: true, force: true });
const buf = join(root, 'node_modules', '.bin', 'buf');
const plugin = join(root, 'node_modules', '.bin', 'protoc-gen-es');
const template = JSON.stringify({
  version: 'v2',
  plugins: [{ local: plugin, out, opt: ['target=ts', 'import_extension=js'] }],
});
// The internal service sidecars call each other with (service invocation between sidecars);
// named file by file: jobs.proto in the same folder needs the scheduler protos, which we do not use.
const internals = ['service_invocation', 'reminders', 'apiversion', 'status'].map((f) => `dapr/proto/internals/v1/${f}.proto`);
const paths = ['dapr/proto/runtime/v1', 'dapr/proto/common/v1', ...internals, 'google/rpc', 'grpc/reflection'];
execFileSync(buf, ['generate', work, '--template', template, ...paths.flatMap((p) => ['--path', join(work, p)])], {
  stdio: 'inherit',
});
if (!existsSync(join(out, 'dapr', 'proto', 'runtime', 'v1', 'dapr_pb.ts'))) {
  throw new Error('proto generation produced no dapr_pb.ts');
}
console.log(`generated ${readdirSync(join(out, 'dapr', 'proto', 'runtime', 'v1')).length} Dapr runtime files into src/gen`);
