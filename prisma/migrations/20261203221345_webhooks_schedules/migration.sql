-- DropForeignKey
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_webhook_id_fkey";

-- AlterTable
ALTER TABLE "schedule_runs" ADD COLUMN     "held_until" TIMESTAMPTZ(3),
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "series" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "webhook_delivery_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "series" INTEGER NOT NULL DEFAULT 1,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" VARCHAR(500),
    "outcome" VARCHAR(16) NOT NULL,

    CONSTRAINT "webhook_delivery_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_delivery_attempts_delivery_id_id_idx" ON "webhook_delivery_attempts"("delivery_id", "id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_updated_at_idx" ON "webhook_deliveries"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_id_chat_id_key" ON "webhook_deliveries"("id", "chat_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhooks_id_chat_id_key" ON "webhooks"("id", "chat_id");

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_chat_id_fkey" FOREIGN KEY ("webhook_id", "chat_id") REFERENCES "webhooks"("id", "chat_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery_attempts" ADD CONSTRAINT "webhook_delivery_attempts_delivery_id_chat_id_fkey" FOREIGN KEY ("delivery_id", "chat_id") REFERENCES "webhook_deliveries"("id", "chat_id") ON DELETE CASCADE ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------
-- Hand-written: value sets the schema cannot express (docs/data-model.md).
-- ---------------------------------------------------------------------------
ALTER TABLE "webhook_deliveries"
  ADD CONSTRAINT "webhook_deliveries_status_check" CHECK ("status" IN ('pending', 'delivered', 'failed'));
ALTER TABLE "webhook_deliveries"
  ADD CONSTRAINT "webhook_deliveries_series_check" CHECK ("series" >= 1 AND "attempts" >= 0);
ALTER TABLE "webhook_delivery_attempts"
  ADD CONSTRAINT "webhook_delivery_attempts_outcome_check" CHECK ("outcome" IN ('delivered', 'retry', 'failed'));
ALTER TABLE "webhook_delivery_attempts"
  ADD CONSTRAINT "webhook_delivery_attempts_attempt_check" CHECK ("attempt" >= 1 AND "series" >= 1 AND "duration_ms" >= 0);
-- queued: an outbox message was created (message_id); held: quiet hours, decided
-- again at held_until (kept afterwards, for the record); skipped: never sent,
-- reason says why; failed: could not be queued.
ALTER TABLE "schedule_runs"
  ADD CONSTRAINT "schedule_runs_outcome_check" CHECK ("outcome" IN ('queued', 'held', 'skipped', 'failed'));
ALTER TABLE "schedule_runs"
  ADD CONSTRAINT "schedule_runs_held_check" CHECK ("outcome" <> 'held' OR "held_until" IS NOT NULL);
