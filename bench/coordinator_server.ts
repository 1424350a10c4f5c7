/**
 * Child process of bench/coordinator.ts (not a benchmark itself): a real coordinator in
 * simulation mode, wired exactly as `cloister coordinator start --simulation` wires it
 * (startCoordinator: sealed file store with fsync, CA, fastify over HTTPS), with the activation
 * rate limit raised so the benchmark measures work rather than the limiter. It runs in its own
 * process so the server and the load generator do not share one event loop.
 *
 * argv: STATE_DIR PLATFORM_DIR. Sends `{ url, rootCaPem }` over IPC once listening; on the
 * message 'cpu' answers `{ cpu: process.cpuUsage() }`; on 'stop' closes the coordinator and exits
 * 0 (so `--cpu-prof` writes its profile).
 */
import { pino } from 'pino';
import { startCoordinator } from '../src/coordinator/index.js';

const [stateDir, platformDir] = process.argv.slice(2);
if (stateDir === undefined || platformDir === undefined || process.send === undefined) {
  console.error('usage: forked by bench/coordinator.ts with STATE_DIR PLATFORM_DIR');
  process.exit(2);
}

const coord = await startCoordinator({
  simulation: true,
  stateDir,
  platformDir,
  port: 0,
  // info, as in production (one line per activation), written where it costs no terminal
  log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })),
  activationRatePerSecond: 1_000_000,
});
process.send({ url: coord.url, rootCaPem: coord.rootCaPem });
process.on('message', (m) => {
  // CPU time of this process (user + system, µs): the parent divides it by activations served.
  if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  if (m === 'stop') void coord.close().then(() => process.exit(0));
});
