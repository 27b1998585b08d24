'use strict';
// Loaded by autocannon (in its worker thread): a unique Idempotency-Key per
// request, so every request writes its own outbox row and none is a replay.
const { randomBytes } = require('node:crypto');
const { threadId } = require('node:worker_threads');

const run = `${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`;
let n = 0;

module.exports = function setupRequest(req) {
  req.headers = { ...req.headers, 'idempotency-key': `bench-${run}-${n++}` };
  return req;
};
