/** Checks that `vigia up`'s ports are free before anything starts, so a taken one is one clear line. */
import { createServer } from 'node:net';
import { VigiaError } from '../core/errors.js';

/**
 * Resolves when `host:port` can be listened on now (the socket is closed again at once); rejects with
 * VIGIA_ERR_PORT_IN_USE naming the address and `flag` when another process holds it, or
 * VIGIA_ERR_CONFIG when listening there is not allowed.
 */
export function assertPortFree(port: number, flag: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new VigiaError('VIGIA_ERR_PORT_IN_USE', `${host}:${port} (${flag}) is taken by another process: stop it, or pass ${flag} with another port`));
      else reject(new VigiaError('VIGIA_ERR_CONFIG', `${flag} ${port}: cannot listen on ${host}:${port} (${err.code ?? err.message})`));
    });
    // exclusive: a port held by a cluster primary is taken too.
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}
