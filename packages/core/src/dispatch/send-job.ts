import { z } from 'zod';

/**
 * What a send job carries through Redis. Ids only: operators read jobs in
 * Bull Board and must never see a recipient's number or a message's text.
 * `chatId` is a decimal string because BullMQ stores job data as JSON.
 */
export const SendJobData = z
  .object({
    messageId: z.string().uuid(),
    chatId: z.string().regex(/^-?[1-9][0-9]{0,18}$/),
    sessionId: z.string().regex(/^user_-?[1-9][0-9]{0,18}$/),
  })
  .strict();
export type SendJobData = z.infer<typeof SendJobData>;

export const SEND_JOB_NAME = 'send';
