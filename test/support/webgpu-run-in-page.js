// Browser side of test/webgpu-page.test.ts, added to a page as a module script: defines
// globalThis.qgcRunInPage, which loads a qgc WebGPU net (its net.js URL) on a GPUDevice of its own
// and runs the samples through every entry point. The outputs come back as byte arrays (float32
// values as their four bytes) for the test to compare with the interpreter's.

const bytesOf = (y) => Array.from(new Uint8Array(y.buffer, y.byteOffset, y.byteLength));

globalThis.qgcRunInPage = async ({ url, in8, inF, dotProduct, single }) => {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() found no adapter');
  const device = await adapter.requestDevice();
  const { createNet } = await import(url);
  const net = await createNet(device, { dotProduct, batch: in8.length });
  try {
    const xs = in8.map((x) => Int8Array.from(x));
    const fs = inF.map((x) => Float32Array.from(x));
    const batch8 = (await net.runBatch(xs)).map(bytesOf);
    const batchF = (await net.runBatchF32(fs)).map(bytesOf);
    const one8 = [];
    const oneF = [];
    for (let i = 0; i < single; i++) {
      one8.push(bytesOf(await net.run(xs[i])));
      oneF.push(bytesOf(await net.runF32(fs[i])));
    }
    return { dotProduct: net.dotProduct, batch8, batchF, one8, oneF };
  } finally {
    net.destroy();
    device.destroy();
  }
};

/** What the net does with bad input and a lost device, in the browser: the messages of the
 * TypeError a wrong input length throws, and of the rejection of a run pending when the device
 * is destroyed (or 'resolved' / 'pending after 10 s' when it does not reject). */
globalThis.qgcBadInputInPage = async ({ url, size }) => {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice();
  const { createNet } = await import(url);
  const net = await createNet(device);
  const message = (e) => `${e?.name}: ${e?.message}`;
  const wrongLength = await net.run(new Int8Array(size + 1)).then(() => 'resolved', message);
  const wrongType = await net.run(new Float32Array(size)).then(() => 'resolved', message);
  const pending = net.runBatch(Array.from({ length: 8 }, () => new Int8Array(size)));
  device.destroy();
  const timeout = new Promise((done) => setTimeout(() => done('pending after 10 s'), 10_000));
  const lost = await Promise.race([pending.then(() => 'resolved', message), timeout]);
  const afterLoss = await net.run(new Int8Array(size)).then(() => 'resolved', message);
  net.destroy();
  return { wrongLength, wrongType, lost, afterLoss };
};
