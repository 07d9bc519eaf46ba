import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Agent } from 'undici';

type LookupCallback = (
  err: Error | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * An undici Agent that trusts only the fixture CA and resolves every host name to 127.0.0.1,
 * so `https://autodiscover.example.com/…` goes through real DNS-less TLS with SNI and
 * certificate verification on.
 */
export function fixtureDispatcher(ca: string | undefined): Agent {
  const lookup = (_host: string, options: { all?: boolean }, cb: LookupCallback) => {
    if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  };
  return new Agent({ connect: { ...(ca === undefined ? {} : { ca }), lookup } as never });
}

/** A pino logger at trace level whose output the test can read back. */
export function capturedLogger(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}
