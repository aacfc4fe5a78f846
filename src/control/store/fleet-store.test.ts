import { runFleetStoreContract } from './fleet-store-contract.js';
import { FleetStore } from './fleet-store.js';
import { freshPgliteStore } from '../../../test/support/pglite.js';

runFleetStoreContract('pglite (in memory)', async () => {
  const { store, handle } = await freshPgliteStore();
  return { store, fleet: new FleetStore(handle), cleanup: () => store.close() };
});
