-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "tenant_status" AS ENUM ('active', 'disabled');

-- CreateEnum
CREATE TYPE "api_key_scope" AS ENUM ('admin', 'service', 'tenant');

-- CreateEnum
CREATE TYPE "session_status" AS ENUM ('unlinked', 'pending_qr', 'qr_expired', 'connecting', 'connected', 'disconnected', 'logged_out', 'banned', 'replaced', 'quarantined');

-- CreateEnum
CREATE TYPE "message_status" AS ENUM ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'rejected', 'uncertain');

-- CreateEnum
CREATE TYPE "message_source" AS ENUM ('api', 'schedule');

-- CreateTable
CREATE TABLE "tenants" (
    "chat_id" BIGINT NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "status" "tenant_status" NOT NULL DEFAULT 'active',
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "paused_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("chat_id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "prefix" VARCHAR(24) NOT NULL,
    "scope" "api_key_scope" NOT NULL,
    "chat_id" BIGINT,
    "label" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "whatsapp_sessions" (
    "session_id" VARCHAR(64) NOT NULL,
    "chat_id_usuario" BIGINT NOT NULL,
    "numero_whatsapp" VARCHAR(15),
    "status" "session_status" NOT NULL DEFAULT 'unlinked',
    "shard" INTEGER NOT NULL,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "creds" JSONB,
    "last_error" VARCHAR(500),
    "linked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_sessions_pkey" PRIMARY KEY ("session_id")
);

-- CreateTable
CREATE TABLE "whatsapp_auth_keys" (
    "session_id" VARCHAR(64) NOT NULL,
    "category" VARCHAR(64) NOT NULL,
    "key_id" VARCHAR(255) NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "whatsapp_auth_keys_pkey" PRIMARY KEY ("session_id","category","key_id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "session_id" VARCHAR(64) NOT NULL,
    "to_phone" VARCHAR(15) NOT NULL,
    "text" TEXT NOT NULL,
    "status" "message_status" NOT NULL DEFAULT 'queued',
    "source" "message_source" NOT NULL DEFAULT 'api',
    "idempotency_key" VARCHAR(255),
    "request_hash" CHAR(64),
    "schedule_id" UUID,
    "wa_message_id" VARCHAR(128),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error_code" VARCHAR(64),
    "error_message" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_events" (
    "id" BIGSERIAL NOT NULL,
    "message_id" UUID NOT NULL,
    "status" "message_status" NOT NULL,
    "code" VARCHAR(64),
    "detail" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_messages" (
    "id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "session_id" VARCHAR(64) NOT NULL,
    "from_jid" VARCHAR(128) NOT NULL,
    "from_phone" VARCHAR(15),
    "text" TEXT,
    "wa_message_id" VARCHAR(128) NOT NULL,
    "in_reply_to_id" UUID,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reminder_schedules" (
    "id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "to_phone" VARCHAR(15) NOT NULL,
    "template" TEXT NOT NULL,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "cron" VARCHAR(120),
    "interval_ms" INTEGER,
    "timezone" VARCHAR(64) NOT NULL DEFAULT 'UTC',
    "start_at" TIMESTAMPTZ(3),
    "end_at" TIMESTAMPTZ(3),
    "quiet_start_min" SMALLINT,
    "quiet_end_min" SMALLINT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reminder_schedules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "schedule_runs" (
    "id" UUID NOT NULL,
    "schedule_id" UUID NOT NULL,
    "fire_time" TIMESTAMPTZ(3) NOT NULL,
    "outcome" VARCHAR(32) NOT NULL,
    "reason" VARCHAR(64),
    "message_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "url" VARCHAR(2048) NOT NULL,
    "events" TEXT[],
    "secret_encrypted" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "webhook_id" UUID NOT NULL,
    "chat_id" BIGINT NOT NULL,
    "event" VARCHAR(64) NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "chat_id" BIGINT,
    "actor" VARCHAR(128) NOT NULL,
    "action" VARCHAR(64) NOT NULL,
    "code" VARCHAR(64),
    "detail" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shard_epochs" (
    "shard" INTEGER NOT NULL,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "holder" VARCHAR(128),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shard_epochs_pkey" PRIMARY KEY ("shard")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_chat_id_idx" ON "api_keys"("chat_id");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_sessions_chat_id_usuario_key" ON "whatsapp_sessions"("chat_id_usuario");

-- CreateIndex
CREATE INDEX "whatsapp_sessions_shard_idx" ON "whatsapp_sessions"("shard");

-- CreateIndex
CREATE UNIQUE INDEX "whatsapp_sessions_session_id_chat_id_usuario_key" ON "whatsapp_sessions"("session_id", "chat_id_usuario");

-- CreateIndex
CREATE INDEX "messages_chat_id_id_idx" ON "messages"("chat_id", "id");

-- CreateIndex
CREATE INDEX "messages_status_updated_at_idx" ON "messages"("status", "updated_at");

-- CreateIndex
CREATE INDEX "messages_session_id_wa_message_id_idx" ON "messages"("session_id", "wa_message_id");

-- CreateIndex
CREATE UNIQUE INDEX "messages_chat_id_idempotency_key_key" ON "messages"("chat_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "message_events_message_id_id_idx" ON "message_events"("message_id", "id");

-- CreateIndex
CREATE INDEX "inbound_messages_chat_id_received_at_idx" ON "inbound_messages"("chat_id", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_messages_session_id_wa_message_id_key" ON "inbound_messages"("session_id", "wa_message_id");

-- CreateIndex
CREATE INDEX "reminder_schedules_chat_id_idx" ON "reminder_schedules"("chat_id");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_runs_schedule_id_fire_time_key" ON "schedule_runs"("schedule_id", "fire_time");

-- CreateIndex
CREATE UNIQUE INDEX "webhooks_chat_id_key" ON "webhooks"("chat_id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_chat_id_created_at_idx" ON "webhook_deliveries"("chat_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_events_chat_id_created_at_idx" ON "audit_events"("chat_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_events_action_created_at_idx" ON "audit_events"("action", "created_at");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_sessions" ADD CONSTRAINT "whatsapp_sessions_chat_id_usuario_fkey" FOREIGN KEY ("chat_id_usuario") REFERENCES "tenants"("chat_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "whatsapp_auth_keys" ADD CONSTRAINT "whatsapp_auth_keys_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "whatsapp_sessions"("session_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_session_id_chat_id_fkey" FOREIGN KEY ("session_id", "chat_id") REFERENCES "whatsapp_sessions"("session_id", "chat_id_usuario") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "reminder_schedules"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_events" ADD CONSTRAINT "message_events_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_session_id_chat_id_fkey" FOREIGN KEY ("session_id", "chat_id") REFERENCES "whatsapp_sessions"("session_id", "chat_id_usuario") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_in_reply_to_id_fkey" FOREIGN KEY ("in_reply_to_id") REFERENCES "messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reminder_schedules" ADD CONSTRAINT "reminder_schedules_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "reminder_schedules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "tenants"("chat_id") ON DELETE SET NULL ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------
-- Constraints the Prisma schema cannot express (see docs/data-model.md).
-- Each is exercised by test/db-constraints.test.ts.
-- ---------------------------------------------------------------------------

-- A session id is made only one way: 'user_' || chat_id. No shared session.
ALTER TABLE "whatsapp_sessions"
  ADD CONSTRAINT "whatsapp_sessions_session_id_owner_check"
  CHECK ("session_id" = 'user_' || "chat_id_usuario"::text);

ALTER TABLE "whatsapp_sessions"
  ADD CONSTRAINT "whatsapp_sessions_numero_whatsapp_check"
  CHECK ("numero_whatsapp" IS NULL OR "numero_whatsapp" ~ '^[1-9][0-9]{7,14}$');

ALTER TABLE "whatsapp_sessions"
  ADD CONSTRAINT "whatsapp_sessions_shard_check" CHECK ("shard" >= 0 AND "shard" < 1024);

-- One WhatsApp number is linked to at most one tenant at a time. Rows that
-- no longer hold a live link (unlinked, logged out, banned, ...) keep their
-- last number for the record without blocking a new owner.
CREATE UNIQUE INDEX "whatsapp_sessions_linked_number_key"
  ON "whatsapp_sessions" ("numero_whatsapp")
  WHERE "numero_whatsapp" IS NOT NULL
    AND "status" IN ('connecting', 'connected', 'disconnected', 'replaced', 'quarantined');

ALTER TABLE "api_keys"
  ADD CONSTRAINT "api_keys_scope_chat_id_check"
  CHECK (("scope" = 'tenant') = ("chat_id" IS NOT NULL));

ALTER TABLE "api_keys"
  ADD CONSTRAINT "api_keys_hash_check" CHECK ("hash" ~ '^[0-9a-f]{64}$');

ALTER TABLE "messages"
  ADD CONSTRAINT "messages_to_phone_check" CHECK ("to_phone" ~ '^[1-9][0-9]{7,14}$');

ALTER TABLE "messages"
  ADD CONSTRAINT "messages_text_length_check" CHECK (char_length("text") BETWEEN 1 AND 65536);

ALTER TABLE "messages"
  ADD CONSTRAINT "messages_session_owner_check"
  CHECK ("session_id" = 'user_' || "chat_id"::text);

ALTER TABLE "messages"
  ADD CONSTRAINT "messages_attempts_check" CHECK ("attempts" >= 0);

ALTER TABLE "inbound_messages"
  ADD CONSTRAINT "inbound_messages_session_owner_check"
  CHECK ("session_id" = 'user_' || "chat_id"::text);

ALTER TABLE "reminder_schedules"
  ADD CONSTRAINT "reminder_schedules_trigger_check"
  CHECK (("cron" IS NULL) <> ("interval_ms" IS NULL));

ALTER TABLE "reminder_schedules"
  ADD CONSTRAINT "reminder_schedules_interval_check"
  CHECK ("interval_ms" IS NULL OR "interval_ms" >= 1000);

ALTER TABLE "reminder_schedules"
  ADD CONSTRAINT "reminder_schedules_quiet_hours_check"
  CHECK (("quiet_start_min" IS NULL) = ("quiet_end_min" IS NULL)
     AND ("quiet_start_min" IS NULL OR ("quiet_start_min" BETWEEN 0 AND 1439 AND "quiet_end_min" BETWEEN 0 AND 1439)));

ALTER TABLE "reminder_schedules"
  ADD CONSTRAINT "reminder_schedules_to_phone_check" CHECK ("to_phone" ~ '^[1-9][0-9]{7,14}$');

ALTER TABLE "tenants"
  ADD CONSTRAINT "tenants_chat_id_check" CHECK ("chat_id" <> 0);
