import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appGrpcStatus, decodeGrpcMessage } from '../../../src/appchannel/grpc-status-code.js';

describe("the app's grpc-status", () => {
  test('a code gRPC defines passes through with its message', () => {
    assert.deepEqual(appGrpcStatus('0', ''), { code: 0, message: '' });
    assert.deepEqual(appGrpcStatus('16', 'who?'), { code: 16, message: 'who?' });
    assert.deepEqual(appGrpcStatus('005', 'x'), { code: 5, message: 'x' });
  });

  test('digits naming no code are UNKNOWN, the message kept', () => {
    assert.deepEqual(appGrpcStatus('17', 'm'), { code: 2, message: 'm' });
    assert.deepEqual(appGrpcStatus('99999999999999999999', 'm'), { code: 2, message: 'm' });
  });

  test('anything but digits is malformed: INTERNAL, saying what came', () => {
    for (const raw of ['abc', '-1', '1.5', '', ' 0', '0x1', '1e1']) {
      const s = appGrpcStatus(raw, '');
      assert.equal(s.code, 13, raw);
      assert.equal(s.message, `malformed grpc-status ${JSON.stringify(raw)} from the app`);
    }
    assert.equal(appGrpcStatus('abc', 'bad').message, 'malformed grpc-status "abc" from the app (grpc-message: bad)');
  });

  test('grpc-message is percent-decoded; a malformed one is kept as sent', () => {
    assert.equal(decodeGrpcMessage('a%20b'), 'a b');
    assert.equal(decodeGrpcMessage('100%'), '100%');
  });
});
