/** Configuration of `parapet serve`: types, defaults and the validating loader. */
export * from './types.js';
export * from './errors.js';
export * from './defaults.js';
export { loadConfig, loadConfigOrThrow, buildConfig, type ConfigFlags, type LoadConfigOptions, type ConfigResult } from './load-config.js';
export { parseDuration, parseSize, parseHostPort, formatHostPort } from './units.js';
