import { AppError, type WhatsappTransport } from '@wa-dispatch/core';
import { SimulatorTransport } from '@wa-dispatch/whatsapp';
import type { WorkerEnv } from './env.js';
import type { Logger } from './logger.js';

export async function createTransport(env: WorkerEnv, logger: Logger): Promise<WhatsappTransport> {
  switch (env.WHATSAPP_TRANSPORT) {
    case 'simulator':
      return new SimulatorTransport({
        redis: env.SIMULATOR_REDIS_URL ?? env.REDIS_URL,
        prefix: env.SIMULATOR_PREFIX,
        logger,
      });
    case 'baileys':
      throw new AppError('CONFIG.INVALID', 'WHATSAPP_TRANSPORT=baileys is not available in this build yet');
  }
}
