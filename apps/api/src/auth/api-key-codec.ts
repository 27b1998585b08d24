// The codec lives in @wa-dispatch/core (shared with the CLI); kept here so the API's imports stay put.
export {
  claimedScope,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  safeEqual,
  type KeyScope,
} from '@wa-dispatch/core';
