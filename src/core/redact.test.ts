import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretName, redactArgv, redactUrl, redactUrlsIn, requestPath } from './redact.js';

const argvCases: { name: string; argv: string[]; want: string[] }[] = [
  { name: '--name=value', argv: ['/usr/bin/app', '--db-password=hunter2', '--port=3306'], want: ['/usr/bin/app', '--db-password=***', '--port=3306'] },
  { name: '--name value', argv: ['app', '--password', 'hunter2', 'db1'], want: ['app', '--password', '***', 'db1'] },
  { name: '--name followed by another option keeps that option', argv: ['mysql', '--password', '--verbose'], want: ['mysql', '--password', '--verbose'] },
  { name: 'single-dash long option', argv: ['app', '-secret', 's3', '-token=t0k'], want: ['app', '-secret', '***', '-token=***'] },
  { name: 'value with = and spaces is wholly redacted', argv: ['app', '--api-key=a=b c'], want: ['app', '--api-key=***'] },
  { name: 'mysql -pSECRET', argv: ['/usr/bin/mysql', '-uroot', '-phunter2', '-P3306', 'shop'], want: ['/usr/bin/mysql', '-uroot', '-p***', '-P3306', 'shop'] },
  { name: 'mysqldump and mariadb-dump -pSECRET', argv: ['mariadb-dump', '-ps3cr3t', '--all-databases'], want: ['mariadb-dump', '-p***', '--all-databases'] },
  { name: 'mysql -p alone prompts: the next argument is a database, kept', argv: ['mysql', '-p', 'shop'], want: ['mysql', '-p', 'shop'] },
  { name: '-pSECRET of another program is left', argv: ['ssh', '-p2222', 'host'], want: ['ssh', '-p2222', 'host'] },
  { name: 'pt-online-schema-change -p SECRET', argv: ['pt-online-schema-change', '-p', 'hunter2', '--alter', 'x'], want: ['pt-online-schema-change', '-p', '***', '--alter', 'x'] },
  { name: 'sshpass -pSECRET', argv: ['sshpass', '-phunter2', 'ssh', 'h'], want: ['sshpass', '-p***', 'ssh', 'h'] },
  { name: 'redis-cli -a SECRET', argv: ['redis-cli', '-h', 'r1', '-a', 'hunter2', 'ping'], want: ['redis-cli', '-h', 'r1', '-a', '***', 'ping'] },
  { name: 'curl -u user:password', argv: ['curl', '-u', 'bob:hunter2', 'https://x/'], want: ['curl', '-u', 'bob:***', 'https://x/'] },
  { name: 'curl -H Authorization: Bearer', argv: ['curl', '-H', 'Authorization: Bearer abcdefgh12345678', 'https://x/'], want: ['curl', '-H', 'Authorization: ***', 'https://x/'] },
  { name: 'env-style PASSWORD=', argv: ['env', 'MYSQL_PWD=hunter2', 'DB_PASSWORD=x', 'LANG=C', 'app'], want: ['env', 'MYSQL_PWD=***', 'DB_PASSWORD=***', 'LANG=C', 'app'] },
  { name: 'key= and AWS_SECRET_ACCESS_KEY=', argv: ['app', 'key=abc', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], want: ['app', 'key=***', 'AWS_SECRET_ACCESS_KEY=***'] },
  { name: 'URL with user:password@', argv: ['psql', 'postgresql://app:hunter2@db1:5432/shop'], want: ['psql', 'postgresql://app:***@db1:5432/shop'] },
  { name: 'URL query token', argv: ['app', '--endpoint=https://api/x?token=abc&page=2'], want: ['app', '--endpoint=https://api/x?token=***&page=2'] },
  { name: 'DSN with ;Password=', argv: ['app', 'Server=db;User Id=sa;Password=hunter2;'], want: ['app', 'Server=db;User Id=sa;Password=***;'] },
  { name: 'AWS access key id anywhere', argv: ['aws-cli', '--profile', 'x', 'AKIAIOSFODNN7EXAMPLE'], want: ['aws-cli', '--profile', 'x', '***'] },
  { name: 'GitHub token and JWT anywhere', argv: ['app', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'eyJhbGciOiJI.eyJzdWIiOiIx.sig_nature'], want: ['app', '***', '***'] },
  { name: 'a rewritten title (one argument with spaces)', argv: ['worker --token t0k --queue q1'], want: ['worker --token *** --queue q1'] },
  { name: 'paths to secrets are kept', argv: ['vigia', 'agent', '--auth-token-file=/etc/vigia/agent.tokens', '--password-file', '/run/pw'], want: ['vigia', 'agent', '--auth-token-file=/etc/vigia/agent.tokens', '--password-file', '/run/pw'] },
  { name: 'harmless options are kept', argv: ['/usr/sbin/mysqld', '--defaults-file=/etc/mysql/my.cnf', '--bypass=1', '--sort', 'cpu'], want: ['/usr/sbin/mysqld', '--defaults-file=/etc/mysql/my.cnf', '--bypass=1', '--sort', 'cpu'] },
  { name: 'empty value stays empty', argv: ['app', '--password='], want: ['app', '--password='] },
];
for (const c of argvCases) {
  test(`redactArgv: ${c.name}`, () => assert.deepEqual(redactArgv(c.argv), c.want));
}

const nameCases: [string, boolean][] = [
  ['--db-password', true], ['MYSQL_PWD', true], ['--pass', true], ['--dbpassword', true], ['X-Api-Key', true], ['apikey', true],
  ['--auth-token', true], ['AWS_SECRET_ACCESS_KEY', true], ['--passthrough', false], ['--keepalive', false], ['--password-file', false],
  ['--token-dir', false], ['--sort', false], ['', false],
];
for (const [name, want] of nameCases) test(`isSecretName(${JSON.stringify(name)}) is ${want}`, () => assert.equal(isSecretName(name), want));

const urlCases: [string, string][] = [
  ['https://ops:hunter2@control.example:8443/v1/hosts', 'https://ops:***@control.example:8443/v1/hosts'],
  ['http://127.0.0.1:9110/v1/processes?token=SECRET&sort=cpu', 'http://127.0.0.1:9110/v1/processes?token=***&sort=***'],
  ['http://h/x?SECRET', 'http://h/x?***'],
  ['http://h/x#frag-secret', 'http://h/x'],
  ['http://h:9100', 'http://h:9100'],
  ['not a url?a=b', 'not a url?a=***'],
];
for (const [url, want] of urlCases) test(`redactUrl(${JSON.stringify(url)})`, () => assert.equal(redactUrl(url), want));

test('requestPath keeps only the path of a request target, bounded', () => {
  assert.equal(requestPath('/v1/processes?token=SECRET'), '/v1/processes');
  assert.equal(requestPath('/v1/x#SECRET'), '/v1/x');
  assert.equal(requestPath(undefined), '');
  assert.equal(requestPath(`/${'a'.repeat(500)}`).length, 200);
});

test('redactUrlsIn redacts every URL quoted in a message and leaves the rest', () => {
  assert.equal(
    redactUrlsIn('Request cannot be constructed from a URL that includes credentials: http://a:hunter2@h/x?token=S (see https://docs/x)'),
    'Request cannot be constructed from a URL that includes credentials: http://a:***@h/x?token=*** (see https://docs/x)',
  );
  assert.equal(redactUrlsIn('GET http://h:9100/metrics answered 500'), 'GET http://h:9100/metrics answered 500');
});

test("redactUrl with query 'secret-names' keeps configuration parameters and drops secret ones", () => {
  assert.equal(redactUrl('postgres://u:pw@db/x?sslmode=require&password=s3&api%5Fkey=k', { query: 'secret-names' }), 'postgres://u:***@db/x?sslmode=require&password=***&api%5Fkey=***');
});
