/**
 * Time and randomness are inputs. Only wiring code (cli/, coordinator/main.ts) creates the
 * system implementations; everything below takes them as arguments so tests can pin them.
 */
export interface Clock {
  now(): Date;
}
export interface Random {
  bytes(n: number): Uint8Array;
}
