/** The Export view's suggested folder, joined paths and Ollama names, written out by hand. */
import { describe, expect, it } from 'vitest';
import { insideFolder, joinPath, slug, suggestedExportFolder } from '../../src-renderer/export-paths.js';

describe('export paths', () => {
  it('suggests a folder beside the data folder, named after the run and stage', () => {
    expect(suggestedExportFolder('/home/ann/.hft-studio', 'sample: HFT', 2)).toBe('/home/ann/hft-exports/sample-hft-stage-3');
    expect(suggestedExportFolder('/home/ann/.hft-studio/', 'x', 0)).toBe('/home/ann/hft-exports/x-stage-1');
    expect(suggestedExportFolder('C:\\Users\\Ann\\AppData\\Roaming\\HFT Studio', 'Run 1', 0)).toBe('C:\\Users\\Ann\\AppData\\Roaming\\hft-exports\\run-1-stage-1');
    expect(suggestedExportFolder('/data', 'a', 0)).toBe('/hft-exports/a-stage-1');
  });

  it('makes names Ollama and file systems accept', () => {
    expect(slug('Sample: HFT (0.5)')).toBe('sample-hft-0.5');
    expect(slug('  ---Über Modell!! ')).toBe('ber-modell');
    expect(slug('***')).toBe('my-model');
  });

  it('joins and strips folder paths with their own separator', () => {
    expect(joinPath('/out/m', 'Modelfile')).toBe('/out/m/Modelfile');
    expect(joinPath('/out/m/', 'Modelfile')).toBe('/out/m/Modelfile');
    expect(joinPath('D:\\out\\m', 'model.gguf')).toBe('D:\\out\\m\\model.gguf');
    expect(insideFolder('/out/m', '/out/m/model.safetensors')).toBe('model.safetensors');
    expect(insideFolder('/out/m/', '/out/m/sub/a.json')).toBe('sub/a.json');
    expect(insideFolder('D:\\out\\m', 'D:\\out\\m\\Modelfile')).toBe('Modelfile');
    expect(insideFolder('/out/m', '/elsewhere/x')).toBe('/elsewhere/x');
  });
});
