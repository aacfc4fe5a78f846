import { runStoreContract } from '../store-contract.js';
import { MemoryStore } from './memory-store.js';

runStoreContract('memory', { open: () => Promise.resolve(new MemoryStore()) });
