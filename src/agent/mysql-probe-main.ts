/** Child process of probeMysqlPaths: reads MysqlPathsOptions as JSON on stdin, prints MysqlPaths|null as JSON. */
import { detectMysqlPaths, type MysqlPathsOptions } from './mysql-paths.js';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const opts = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MysqlPathsOptions;
process.stdout.write(JSON.stringify(await detectMysqlPaths(opts)));
