export * from './config.js';
export * from './env.js';
export * from './variables.js';
export * from './secret.js';
export * from './security.js';
export * from './security-variables.js';
