export * from './config.js';
export * from './env.js';
export * from './variables.js';
