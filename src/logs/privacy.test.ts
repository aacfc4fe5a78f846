import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { canonicalIp, clientTransform, hashIp, ipv6Bytes, ipv6Text, truncateIp } from './privacy.js';

test('truncateIp: IPv4 /24 and IPv6 /48 by default, canonical text, other prefixes', () => {
  const cases: [string, string][] = [
    ['192.168.1.77', '192.168.1.0'],
    ['10.0.0.1', '10.0.0.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:DB8:85A3:0000::1', '2001:db8:85a3::'],
    ['::1', '::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::ffff:192.0.2.128', '::'],
  ];
  for (const [ip, want] of cases) assert.equal(truncateIp(ip), want, ip);
  assert.equal(truncateIp('192.168.1.77', 16), '192.168.0.0');
  assert.equal(truncateIp('192.168.1.77', 20), '192.168.0.0');
  assert.equal(truncateIp('192.168.31.77', 20), '192.168.16.0');
  assert.equal(truncateIp('192.168.1.77', 32), '192.168.1.77');
  assert.equal(truncateIp('2001:db8:85a3:8d3:1319:8a2e:370:7348', 24, 64), '2001:db8:85a3:8d3::');
  assert.equal(truncateIp('2001:db8:85a3:8d3:1319:8a2e:370:7348', 24, 56), '2001:db8:85a3:800::');
  assert.equal(truncateIp('crawl-66-249-66-1.googlebot.com'), 'crawl-66-249-66-1.googlebot.com', 'not an address: unchanged');
  assert.equal(truncateIp('-'), '-');
});

test('IPv6 parse and print round-trip (RFC 5952 text)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['::', '::'],
    ['1::', '1::'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
  ];
  for (const [ip, want] of cases) assert.equal(ipv6Text(ipv6Bytes(ip)!), want, ip);
  assert.equal(ipv6Bytes('1.2.3.4'), undefined);
  assert.equal(ipv6Bytes('not:an:address'), undefined);
});

test('hashIp: HMAC-SHA256 under the key, shortened, the same for every spelling of one address', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const want = createHmac('sha256', key).update('2001:db8::1').digest('hex').slice(0, 16);
  assert.equal(hashIp('2001:db8::1', key), want);
  assert.equal(hashIp('2001:DB8:0:0::0001', key), want);
  assert.equal(canonicalIp('2001:DB8:0:0::0001'), '2001:db8::1');
  assert.match(hashIp('10.0.0.1', key), /^[0-9a-f]{16}$/);
  assert.notEqual(hashIp('10.0.0.1', key), hashIp('10.0.0.2', key));
  assert.notEqual(hashIp('10.0.0.1', key), hashIp('10.0.0.1', Buffer.from('another key of 32 bytes, enough!')), 'another key, another hash');
  assert.equal(hashIp('10.0.0.1', key, 32).length, 32);
});

test('clientTransform: none, truncate, hash; refuses weak keys and out-of-range prefixes', () => {
  const key = Buffer.alloc(32, 7);
  assert.equal(clientTransform({ mode: 'none' })('10.1.2.3'), '10.1.2.3');
  assert.equal(clientTransform({ mode: 'truncate', v4Bits: 24, v6Bits: 48 })('10.1.2.3'), '10.1.2.0');
  assert.equal(clientTransform({ mode: 'hash', key, hexChars: 16 })('10.1.2.3'), hashIp('10.1.2.3', key));
  assert.throws(() => clientTransform({ mode: 'hash', key: Buffer.alloc(8), hexChars: 16 }), RangeError);
  assert.throws(() => clientTransform({ mode: 'truncate', v4Bits: 33, v6Bits: 48 }), RangeError);
  assert.throws(() => clientTransform({ mode: 'truncate', v4Bits: 24, v6Bits: -1 }), RangeError);
});
