import type { WebhookAttempt, WebhookDeliveryStore, WebhookDeliveryTarget, WebhookEvent } from '@wa-dispatch/core';

interface Hook {
  webhookId: string;
  chatId: bigint;
  url: string;
  secret: string;
  active: boolean;
}

interface Delivery {
  deliveryId: string;
  webhookId: string;
  chatId: bigint;
  payload: WebhookEvent;
  status: WebhookDeliveryTarget['status'];
  deliveredAt: Date | null;
  lastError: string | null;
  series: number;
}

/** Test double of the Postgres store: the URL/secret come from the delivery's own webhook row. */
export class InMemoryDeliveryStore implements WebhookDeliveryStore {
  readonly hooks = new Map<string, Hook>();
  readonly deliveries = new Map<string, Delivery>();
  readonly attempts: WebhookAttempt[] = [];

  addWebhook(hook: Hook): void {
    this.hooks.set(hook.webhookId, hook);
  }

  addDelivery(deliveryId: string, webhookId: string, payload: WebhookEvent, chatId?: bigint): void {
    const hook = this.hooks.get(webhookId);
    if (hook === undefined) throw new Error('no such webhook');
    this.deliveries.set(deliveryId, {
      deliveryId,
      webhookId,
      chatId: chatId ?? hook.chatId,
      payload,
      status: 'pending',
      deliveredAt: null,
      lastError: null,
      series: 1,
    });
  }

  attemptsOf(deliveryId: string): WebhookAttempt[] {
    return this.attempts.filter((a) => a.deliveryId === deliveryId);
  }

  async load(deliveryId: string): Promise<WebhookDeliveryTarget | null> {
    const d = this.deliveries.get(deliveryId);
    if (d === undefined) return null;
    const hook = this.hooks.get(d.webhookId);
    if (hook === undefined || hook.chatId !== d.chatId) return null; // a delivery never uses another tenant's hook
    return {
      deliveryId,
      webhookId: hook.webhookId,
      chatId: d.chatId,
      event: d.payload.type,
      payload: structuredClone(d.payload),
      status: d.status,
      url: hook.url,
      secret: hook.secret,
      active: hook.active,
      series: d.series,
    };
  }

  async recordAttempt(attempt: WebhookAttempt): Promise<void> {
    this.attempts.push(attempt);
  }

  async markDelivered(deliveryId: string, at: Date): Promise<void> {
    const d = this.deliveries.get(deliveryId);
    if (d !== undefined) Object.assign(d, { status: 'delivered', deliveredAt: at });
  }

  async markFailed(deliveryId: string, error: string): Promise<void> {
    const d = this.deliveries.get(deliveryId);
    if (d !== undefined) Object.assign(d, { status: 'failed', lastError: error });
  }

  async reopen(deliveryId: string, chatId: bigint): Promise<number | null> {
    const d = this.deliveries.get(deliveryId);
    if (d === undefined || d.chatId !== chatId) return null;
    d.status = 'pending';
    d.series += 1;
    return d.series;
  }
}
