import { createMemoryStore, openFileStore } from '../../src/store/index.js';
import { describeStoreContract } from './store_contract.js';
import { tempDir } from './fixtures.js';

describeStoreContract('memory', async () => createMemoryStore());
describeStoreContract('file', async (t) => openFileStore(await tempDir(t, 'store')));
