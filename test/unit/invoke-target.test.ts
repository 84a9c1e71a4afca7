// Pure pieces of the HTTP invocation target, checked against daprd's findTargetIDAndMethod
// cases (pkg/api/http/directmessaging_test.go): the Basic-auth form and the cleaned method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appIdOfBasic } from '../../src/api/http/app-id-basic.js';
import { cleanPath, headerTarget } from '../../src/api/http/routes-invoke.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('appIdOfBasic: only Basic dapr-app-id:<id>, decoded strictly', () => {
  assert.equal(appIdOfBasic('Basic ZGFwci1hcHAtaWQ6YXV0aA=='), 'auth'); // daprd's own test vector
  assert.equal(appIdOfBasic(`Basic ${b64('Dapr-App-ID:x')}`), 'x');
  assert.equal(appIdOfBasic(`Basic ${b64('dapr-app-id:')}`), '');
  for (const v of [undefined, '', 'Bearer abc', `basic ${b64('dapr-app-id:x')}`, `Basic ${b64('alice:x')}`, `Basic ${b64('dapr-app-id:a:b')}`, `Basic ${b64('dapr-app-id')}`, 'Basic ZGFwci1hcHAtaWQ6YXV0aA', 'Basic @@@@']) {
    assert.equal(appIdOfBasic(v), undefined, String(v));
  }
});

test('cleanPath: Go path.Clean for absolute paths', () => {
  assert.equal(cleanPath('///foo//bar'), '/foo/bar');
  assert.equal(cleanPath('/a/./b/../c/'), '/a/c');
  assert.equal(cleanPath('/'), '/');
  assert.equal(cleanPath('/..'), '/');
  assert.equal(cleanPath('/a%2Fb'), '/a%2Fb');
});

test("headerTarget: daprd's precedence", () => {
  const basic = ['Authorization', 'Basic ZGFwci1hcHAtaWQ6YXV0aA=='];
  assert.deepEqual(headerTarget(['Dapr-App-Id', 'myapp'], '/foo/bar'), { appId: 'myapp', method: 'foo/bar' });
  assert.deepEqual(headerTarget(basic, '/foo/bar'), { appId: 'auth', method: 'foo/bar' });
  assert.deepEqual(headerTarget(['Dapr-App-Id', 'myapp', ...basic], '/foo/bar'), { appId: 'myapp', method: 'foo/bar' });
  assert.deepEqual(headerTarget(basic, '/v1.0/invoke/myapp/method/foo'), { appId: 'auth', method: 'v1.0/invoke/myapp/method/foo' });
  assert.deepEqual(headerTarget(['dapr-app-id', '', ...basic], '/x'), { appId: 'auth', method: 'x' }, 'an empty header is no header');
  assert.equal(headerTarget(['x-other', 'y'], '/v1.0/invoke/myapp/method/foo'), undefined);
});
