import type { Redis } from 'ioredis';
import { simLink as cliSimLink } from '@wa-dispatch/cli';
import { SessionRepository, TenantRepository, type Db } from '@wa-dispatch/db';
import { SessionSignal } from '@wa-dispatch/queue';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';

/** A simulated QR scan through the very function `wa-dispatch sim link` runs. */
export async function simLink(
  deps: { control: SimulatorControl; db: Db; redis: Redis; prefix: string },
  chatId: bigint,
  phone: string,
): Promise<void> {
  await cliSimLink(
    {
      control: deps.control,
      tenants: new TenantRepository(deps.db),
      sessions: new SessionRepository(deps.db),
      signal: new SessionSignal({ redis: deps.redis, prefix: deps.prefix }),
    },
    chatId,
    phone,
  );
}
