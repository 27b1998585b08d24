-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "limits" JSONB,
ADD COLUMN     "time_zone" VARCHAR(64) NOT NULL DEFAULT 'UTC';

-- CreateTable
CREATE TABLE "dispatch_switches" (
    "key" VARCHAR(16) NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" VARCHAR(128),

    CONSTRAINT "dispatch_switches_pkey" PRIMARY KEY ("key")
);

-- Hand-written (Prisma cannot express CHECKs; see docs/data-model.md).
ALTER TABLE "dispatch_switches" ADD CONSTRAINT "dispatch_switches_key_check" CHECK ("key" IN ('all', 'automatic'));
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_limits_object_check" CHECK ("limits" IS NULL OR jsonb_typeof("limits") = 'object');
