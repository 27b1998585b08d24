import type { WhatsappTransport } from '@wa-dispatch/core';
import { AuthStateRepository, type Db } from '@wa-dispatch/db';
import { BaileysTransport, SimulatorTransport } from '@wa-dispatch/whatsapp';
import type { WorkerEnv } from './env.js';
import type { Logger } from './logger.js';

export async function createTransport(env: WorkerEnv, logger: Logger, db: Db): Promise<WhatsappTransport> {
  switch (env.WHATSAPP_TRANSPORT) {
    case 'simulator':
      return new SimulatorTransport({
        redis: env.SIMULATOR_REDIS_URL ?? env.REDIS_URL,
        prefix: env.SIMULATOR_PREFIX,
        logger,
      });
    case 'baileys':
      silenceSignalKeyDumps();
      return new BaileysTransport({
        authStore: new AuthStateRepository(db),
        logger,
        maxConcurrentConnects: env.BAILEYS_CONNECT_CONCURRENCY,
      });
  }
}

/**
 * libsignal (under Baileys) prints whole session records, private keys
 * included, with console.info/log when it rotates sessions. Logs must never
 * carry secrets, so those lines are dropped at the source.
 */
function silenceSignalKeyDumps(): void {
  const noisy = /^(Closing session|Closing open session|Removing old closed session|Opening session|Migrating session)/;
  for (const level of ['info', 'log', 'warn'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && noisy.test(args[0])) return;
      original(...args);
    };
  }
}
