// The daprd-compatible argument rules, as a table: every form a daprd launcher may use.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../src/cli/parse-args.js';
import { buildRunConfig, ConfigError } from '../../src/config/run-config.js';

const cfg = (args: string[], env: Record<string, string> = {}) => buildRunConfig(parseArgs(args), { PILLION_HOME: '/tmp/x', ...env });

describe('daprd flag syntax', () => {
  const cases: Array<[string, string[], (c: ReturnType<typeof cfg>) => unknown, unknown]> = [
    ['--flag value', ['--app-id', 'a', '--dapr-http-port', '3600'], (c) => c.httpPort, 3600],
    ['--flag=value', ['--app-id=a', '--dapr-http-port=3601'], (c) => c.httpPort, 3601],
    ['single-dash long flag', ['-app-id', 'a', '-dapr-grpc-port', '50100'], (c) => c.grpcPort, 50100],
    ['single-dash with =', ['-app-id=a'], (c) => c.appId, 'a'],
    ['negative number as a value', ['--app-id', 'a', '--app-max-concurrency', '-1'], (c) => c.appMaxConcurrency, -1],
    ['bare boolean is true', ['--app-id', 'a', '--log-as-json'], (c) => c.logAsJson, true],
    ['boolean =false', ['--app-id', 'a', '--enable-metrics=false'], (c) => c.metrics.enabled, false],
    ['boolean followed by false', ['--app-id', 'a', '--enable-metrics', 'false'], (c) => c.metrics.enabled, false],
    ['repeatable --resources-path', ['--app-id', 'a', '--resources-path', 'x', '--resources-path', 'y'], (c) => c.resourcesPaths, ['x', 'y']],
    ['comma-separated list', ['--app-id', 'a', '--config', 'x.yaml,y.yaml'], (c) => c.configPaths, ['x.yaml', 'y.yaml']],
    ['--components-path is --resources-path', ['--app-id', 'a', '--components-path', 'c', '--resources-path', 'r'], (c) => c.resourcesPaths, ['c', 'r']],
    ['--max-body-size 4Mi', ['--app-id', 'a', '--max-body-size', '4Mi'], (c) => c.maxBodyBytes, 4 * 1024 * 1024],
    ['--max-body-size 512Ki', ['--app-id', 'a', '--max-body-size=512Ki'], (c) => c.maxBodyBytes, 512 * 1024],
    ['old --dapr-http-max-request-size in MB', ['--app-id', 'a', '--dapr-http-max-request-size', '2'], (c) => c.maxBodyBytes, 2 * 1024 * 1024],
    ['--mode standalone', ['--app-id', 'a', '--mode', 'standalone'], (c) => c.mode, 'standalone'],
    ['-- ends flags: the app command', ['--app-id', 'a', '--', 'node', '--inspect', 'app.js'], (c) => c.appCommand, ['node', '--inspect', 'app.js']],
    ['ignored control-plane flags are collected', ['--app-id', 'a', '--placement-host-address', 'localhost:50005', '--enable-mtls'], (c) => c.ignoredFlags, ['placement-host-address', 'enable-mtls']],
    ['--app-ssl means https', ['--app-id', 'a', '--app-ssl'], (c) => c.appProtocol, 'https'],
    ['block shutdown duration', ['--app-id', 'a', '--dapr-block-shutdown-duration', '1m30s'], (c) => c.blockShutdownMs, 90_000],
    ['defaults', ['--app-id', 'a'], (c) => [c.httpPort, c.grpcPort, c.internalGrpcPort, c.publicPort, c.metrics.port, c.listenAddresses], [3500, 50001, 50002, { port: 3501, explicit: false }, { port: 9090, explicit: false }, ['127.0.0.1']]],
    ['explicit public port', ['--app-id', 'a', '--dapr-public-port', '3999'], (c) => c.publicPort, { port: 3999, explicit: true }],
  ];
  for (const [name, args, pick, want] of cases) {
    test(name, () => assert.deepEqual(pick(cfg(args)), want));
  }
});

describe('environment', () => {
  test('DAPR_API_TOKEN is read once into the config; empty means off', () => {
    assert.equal(cfg(['--app-id', 'a'], { DAPR_API_TOKEN: 't' }).apiToken, 't');
    assert.equal(cfg(['--app-id', 'a'], { DAPR_API_TOKEN: '' }).apiToken, undefined);
  });
  test('PILLION_HOME sets the data dir; without HOME it still resolves', () => {
    assert.equal(cfg(['--app-id', 'a']).dataDir, '/tmp/x');
    const c = buildRunConfig(parseArgs(['--app-id', 'a']), {});
    assert.ok(c.dataDir.endsWith('.pillion'));
  });
  test('the config is frozen', () => {
    const c = cfg(['--app-id', 'a']);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listenAddresses));
  });
});

describe('bad values are clear errors, all reported together', () => {
  const problems = (args: string[]): string[] => {
    try {
      cfg(args);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return [...err.problems];
    }
    return [];
  };
  test('missing --app-id', () => assert.deepEqual(problems([]), ['--app-id is required']));
  test('every problem at once', () => {
    const p = problems(['--app-id', 'a', '--dapr-http-port', 'abc', '--max-body-size', 'lots', '--log-level', 'loud', '--nope']);
    assert.equal(p.length, 4);
    assert.match(p.join('\n'), /unknown flag "--nope"/);
    assert.match(p.join('\n'), /--dapr-http-port: "abc" must be a whole number from 0 to 65535/);
    assert.match(p.join('\n'), /--max-body-size: "lots" is not a size/);
    assert.match(p.join('\n'), /--log-level: "loud" must be one of/);
  });
  test('port out of range', () => assert.match(problems(['--app-id', 'a', '--dapr-grpc-port', '70000'])[0]!, /from 0 to 65535/));
  test('a value flag at the end without its value', () => assert.match(problems(['--app-id', 'a', '--config'])[0]!, /--config needs a value/));
  test('an app id with ||', () => assert.match(problems(['--app-id', 'a||b'])[0]!, /must not contain/));
  test('an app id with a newline, a space or a control character', () => {
    for (const id of ['a\nb', 'a b', 'a\u0000b']) assert.match(problems(['--app-id', id])[0]!, /must not contain spaces or control characters/);
  });
  test('durations a timer cannot wait for are refused, naming the flag', () => {
    assert.match(problems(['--app-id', 'a', '--app-call-timeout', '720h'])[0]!, /^--app-call-timeout: "720h" is longer than 596h31m23\.647s/);
    assert.match(problems(['--app-id', 'a', '--dapr-block-shutdown-duration', '1000h'])[0]!, /^--dapr-block-shutdown-duration: "1000h" is longer than/);
    assert.deepEqual(problems(['--app-id', 'a', '--app-call-timeout', '596h31m23s']), []);
  });
});
