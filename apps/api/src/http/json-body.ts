import express, { type RequestHandler } from 'express';
import { AppError } from '@wa-dispatch/core';

/**
 * JSON body parsing, mounted per route AFTER authorization so an
 * unauthorised caller's body is never even read. A body is required to be
 * application/json; anything else is a 400 rather than a silent empty body.
 */
export function jsonBody(limit: string): RequestHandler[] {
  const parse = express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.body === undefined) {
      const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
      const chunked = req.headers['transfer-encoding'] !== undefined;
      throw new AppError(
        'VALIDATION.INVALID_BODY',
        hasBody || chunked ? 'request body must be application/json' : 'request body is required (application/json)',
      );
    }
    next();
  };
  return [parse, requireJson];
}
