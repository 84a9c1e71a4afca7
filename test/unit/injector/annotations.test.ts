// Table tests for the annotation table and its reader.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNOTATIONS, readAnnotations } from '../../../src/injector/annotations.js';
import { FLAG_BY_NAME } from '../../../src/cli/flags.js';

describe('annotation table', () => {
  test('keys are unique and all under dapr.io/', () => {
    const keys = ANNOTATIONS.map((a) => a.key);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(keys.every((k) => /^dapr\.io\/[a-z-]+$/.test(k)));
  });
  test('every flag an annotation maps to is a flag of pillion run', () => {
    for (const a of ANNOTATIONS) if (a.flag) assert.ok(FLAG_BY_NAME.has(a.flag), `${a.key} → --${a.flag}`);
  });
  test('defaults of parity §5', () => {
    const d = Object.fromEntries(ANNOTATIONS.map((a) => [a.key.slice('dapr.io/'.length), a.default]));
    assert.deepEqual(
      [d.enabled, d['app-protocol'], d['log-level'], d['log-as-json'], d['enable-metrics'], d['metrics-port'], d['grpc-port'], d['internal-grpc-port'], d['graceful-shutdown-seconds']],
      [false, 'http', 'info', false, true, 9090, 50001, 50002, -1],
    );
    assert.deepEqual(['delay-seconds', 'timeout-seconds', 'period-seconds', 'threshold'].map((k) => d[`sidecar-liveness-probe-${k}`]), [180, 3, 10, 5]);
    assert.deepEqual(['delay-seconds', 'timeout-seconds', 'period-seconds', 'threshold'].map((k) => d[`sidecar-readiness-probe-${k}`]), [1, 1, 1, 5]);
  });
});

describe('readAnnotations', () => {
  const cases: Array<[string, Record<string, string>, string, unknown]> = [
    ['bool true', { 'dapr.io/log-as-json': 'true' }, 'dapr.io/log-as-json', true],
    ['bool True', { 'dapr.io/log-as-json': 'True' }, 'dapr.io/log-as-json', true],
    ['bool 0', { 'dapr.io/enable-metrics': '0' }, 'dapr.io/enable-metrics', false],
    ['int', { 'dapr.io/app-max-concurrency': ' 5 ' }, 'dapr.io/app-max-concurrency', 5],
    ['negative int', { 'dapr.io/graceful-shutdown-seconds': '-1' }, 'dapr.io/graceful-shutdown-seconds', -1],
    ['port', { 'dapr.io/app-port': '3000' }, 'dapr.io/app-port', 3000],
    ['default port', {}, 'dapr.io/grpc-port', 50001],
    ['list', { 'dapr.io/sidecar-listen-addresses': '127.0.0.1, ::1' }, 'dapr.io/sidecar-listen-addresses', ['127.0.0.1', '::1']],
    ['default list', {}, 'dapr.io/sidecar-listen-addresses', ['127.0.0.1']],
    ['quantity', { 'dapr.io/sidecar-cpu-limit': '500m' }, 'dapr.io/sidecar-cpu-limit', '500m'],
    ['quantity with exponent', { 'dapr.io/sidecar-memory-limit': '1e9' }, 'dapr.io/sidecar-memory-limit', '1e9'],
    ['env', { 'dapr.io/env': 'A=1,B=x=y, C=' }, 'dapr.io/env', [['A', '1'], ['B', 'x=y'], ['C', '']]],
    ['string trimmed', { 'dapr.io/app-id': ' orders ' }, 'dapr.io/app-id', 'orders'],
    ['absent without default', {}, 'dapr.io/app-port', undefined],
  ];
  for (const [name, ann, key, want] of cases) test(name, () => assert.deepEqual(readAnnotations(ann).values.get(key), want));

  const bad: Array<[string, Record<string, string>, 'error' | 'warning', string]> = [
    ['non-numeric port denies', { 'dapr.io/app-port': 'http' }, 'error', 'invalid-port'],
    ['port out of range denies', { 'dapr.io/metrics-port': '65536' }, 'error', 'invalid-port'],
    ['negative port denies', { 'dapr.io/grpc-port': '-1' }, 'error', 'invalid-port'],
    ['bad quantity denies', { 'dapr.io/sidecar-cpu-request': 'fast' }, 'error', 'invalid-quantity'],
    ['bad duration denies', { 'dapr.io/block-shutdown-duration': '10' }, 'error', 'invalid-duration'],
    ['env without = denies', { 'dapr.io/env': 'A' }, 'error', 'invalid-env'],
    ['env bad name denies', { 'dapr.io/env': '1A=b' }, 'error', 'invalid-env'],
    ['bad integer is a warning', { 'dapr.io/sidecar-readiness-probe-threshold': 'x' }, 'warning', 'ignored-value'],
    ['float integer is a warning', { 'dapr.io/app-max-concurrency': '1.5' }, 'warning', 'ignored-value'],
    ['bad bool is a warning', { 'dapr.io/enable-metrics': 'yes' }, 'warning', 'ignored-value'],
  ];
  for (const [name, ann, kind, code] of bad) {
    test(name, () => {
      const r = readAnnotations(ann);
      const list = kind === 'error' ? r.errors : r.warnings;
      assert.equal(list.length, 1);
      assert.equal(list[0]!.code, code);
      assert.ok(list[0]!.message.startsWith(Object.keys(ann)[0]!), list[0]!.message);
    });
  }
  test('a bad integer falls back to its default', () => {
    assert.equal(readAnnotations({ 'dapr.io/sidecar-liveness-probe-delay-seconds': 'x' }).values.get('dapr.io/sidecar-liveness-probe-delay-seconds'), 180);
  });
});
