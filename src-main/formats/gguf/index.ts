/**
 * Public API of the GGUF format: write a llama/mistral/qwen2 model as one GGUF v3 file (F32, F16
 * or Q8_0) that llama.cpp and Ollama load. Knows nothing of tfjs.
 */
export { GgufError } from './errors.js';
export { writeGguf, type GgufSource, type GgufType, type GgufResult } from './export.js';
