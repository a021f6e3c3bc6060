import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { liveOnnxWorkers } from '../src/ml/onnx-session.js';
import { AutoFilter } from '../src/filter/auto-filter.js';
import { ModelInpainter } from '../src/filter/inpaint/index.js';
import { ClearcastServer } from '../src/server.js';
import { captureLog, testConfig, waitFor } from './helpers/server.js';
import { publish } from './helpers/media.js';
import { activeHandles } from './helpers/resources.js';

/** A model folder whose .onnx is garbage but whose contract (.json) is the real one. */
function corruptModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clearcast-model-'));
  const path = join(dir, 'broken.onnx');
  writeFileSync(path, Buffer.from('not an onnx protobuf at all'.repeat(40)));
  copyFileSync(join(PROJECT_ROOT, 'models', 'sttn-inpaint.json'), join(dir, 'broken.json'));
  return path;
}

describe('model file checked at start-up (pipeline.model.onMissing)', () => {
  let server: ClearcastServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    // Whatever the outcome, the model's worker thread is gone with the server.
    await waitFor('no model worker left', () => liveOnnxWorkers() === 0 || undefined, 5000);
  });

  it('"fail": a missing or corrupt model stops start-up with an error naming the key, and opens nothing', async () => {
    const before = activeHandles();
    for (const path of [join(tmpdir(), 'no-such-dir', 'missing.onnx'), corruptModel()]) {
      const config = await testConfig({ pipeline: { model: { enabled: true, path, onMissing: 'fail' } } });
      const s = new ClearcastServer(config, createLogger('silent'));
      const err = await s.start().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^pipeline\.model\.path: .*(cannot read the model's sidecar|cannot load)/);
      expect((err as Error).message).toContain(path);
      await s.stop();
    }
    // Nothing was listening or running for the failed starts.
    expect(activeHandles().TCPServerWrap).toBe(before.TCPServerWrap);
  });

  it('"classical": warns once at start, and streams run with the classical fill, without the model', async () => {
    const log = captureLog('warn');
    const path = corruptModel();
    const config = await testConfig({ pipeline: { filter: 'manual', regions: { '*': [{ x: 200, y: 120, width: 160, height: 80 }] }, model: { enabled: true, path, onMissing: 'classical' } } });
    server = new ClearcastServer(config, log.logger);
    await server.start();
    const warned = log.find(/model: cannot be used, running with the classical fill only/);
    expect(warned).toHaveLength(1);
    expect(String(warned[0]!.reason)).toMatch(/cannot load/);

    const publisher = publish(server.urls.publish('cam'), { seconds: 2, width: 640, height: 360 });
    const pipeline = await waitFor('the stream', () => server!.registry.get('cam'));
    await waitFor('encoded frames', () => (pipeline.stats().framesEncoded > 10) || undefined);
    // No model in the filter, and no per-stream model error on top of the one warning.
    expect(pipeline.stats().model).toBeUndefined();
    await publisher.waitExit();
    expect(log.find(/model/)).toHaveLength(1);
  });

  it('a usable model is opened once at start; the stream uses that worker, not one of its own', async () => {
    const config = await testConfig({ pipeline: { filter: 'manual', regions: { '*': [{ x: 200, y: 120, width: 160, height: 80 }] }, model: { enabled: true, onMissing: 'fail' } } });
    server = new ClearcastServer(config, createLogger('silent'));
    await server.start();
    expect(liveOnnxWorkers()).toBe(1);
    const publisher = publish(server.urls.publish('cam'), { seconds: 2, width: 640, height: 360 });
    const pipeline = await waitFor('the stream', () => server!.registry.get('cam'));
    // The worker was already open: the stream's model is ready without a load of its own.
    await waitFor('the model ready', () => pipeline.stats().model?.state === 'ready' || undefined, 5000);
    expect(liveOnnxWorkers()).toBe(1);
    await publisher.waitExit();
  });

  it('a mask-free filter lets go of its model when it closes: the worker ends with its last holder', async () => {
    const model = new ModelInpainter({ modelPath: join(PROJECT_ROOT, 'models', 'sttn-inpaint.onnx'), executionProvider: 'cpu', threads: 1, maxInFlight: 1, deadlineMs: 30_000, smoothing: 1, senseThreshold: 0 });
    const filter = new AutoFilter({ subtitles: false, model });
    await waitFor('the model ready', () => model.stats().state === 'ready' || undefined, 10_000);
    expect(liveOnnxWorkers()).toBe(1);
    // (Before the fix the auto filter closed its caption net only: a bench or a stream with
    // filter auto and the model kept the worker, and the process, alive.)
    await filter.close();
  });
});

