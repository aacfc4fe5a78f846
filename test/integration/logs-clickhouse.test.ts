/**
 * The ClickHouse log store against a real ClickHouse engine (chdb behind ClickHouse's HTTP interface,
 * test/support/clickhouse.ts): the shared LogStore contract suite, so it gives exactly the reference's JSON.
 */
import { after, before } from 'node:test';
import { logStoreContract } from '../../src/logs/store/log-store.contract.js';
import { openClickHouseStore } from '../../src/logs/store/clickhouse-store.js';
import { startClickHouse, type TestClickHouse } from '../support/clickhouse.js';

let ch: TestClickHouse;
let n = 0;
before(async () => {
  ch = await startClickHouse({ user: 'vigia', password: 'secret pass' });
});
after(async () => ch?.stop());

logStoreContract('clickhouse', async () => {
  // A fresh database per open: the suite needs an empty store each time.
  const db = `contract_${++n}`;
  await ch.sql(`CREATE DATABASE ${db}`);
  return openClickHouseStore(`http://vigia@127.0.0.1:${ch.port}/${db}`, { password: 'secret pass' });
});
