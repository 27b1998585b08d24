export * from './simulator/index.js';
export * from './baileys/index.js';
