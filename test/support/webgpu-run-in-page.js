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
