export * from './tensor.js';
export * from './compute.js';
export { printTensors } from './print.js';
