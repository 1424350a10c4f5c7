// Child process of crash.test.ts: commits version 2 of a volume and is SIGKILLed by its own
// version authority the moment commit() hands it the new state, i.e. after the manifest is
// durable and before the authority file records it: a real crash between the two steps.
import { fileVersionAuthority, openProtectedVolume, type VersionAuthority } from '../../src/protect/index.js';

const [dir, statePath, keyHex, volumeId] = process.argv.slice(2) as [string, string, string, string];
const real = fileVersionAuthority(statePath);
const dying: VersionAuthority = {
  get: (id) => real.get(id),
  advance: async () => {
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  },
};
const v = await openProtectedVolume({ dir, key: new Uint8Array(Buffer.from(keyHex, 'hex')), volumeId, versions: dying });
await v.writeFile('a.txt', 'written just before the crash');
await v.commit();
process.stdout.write('not reached\n');
