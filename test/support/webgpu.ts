/// <reference types="@webgpu/types" />
/**
 * WebGPU in the tests: one Dawn device per test file (src/verify/dawn.ts: SwiftShader's Vulkan
 * driver in CI), typed with @webgpu/types, and a one-shader dispatch for checks of WGSL
 * snippets.
 */
import { dawnDevice, type Dawn } from '../../src/verify/dawn.js';

export interface TestGpu {
  dawn: Dawn;
  device: GPUDevice;
  /** The adapter (for devices with other limits). */
  adapter: GPUAdapter;
  wgslLanguageFeatures: WGSLLanguageFeatures;
}

/** A new device on the process's Dawn adapter (destroy it in afterAll). */
export async function testGpu(requiredLimits?: Record<string, number>): Promise<TestGpu> {
  const { dawn, device } = await dawnDevice(requiredLimits);
  return { dawn, device: device as unknown as GPUDevice, adapter: dawn.adapter as unknown as GPUAdapter, wgslLanguageFeatures: dawn.gpu.wgslLanguageFeatures as unknown as WGSLLanguageFeatures };
}

/** Runs `code`'s `main` over `invocations` threads in groups of `groupSize`, binding 0 an
 * input storage buffer with `input`, binding 1 an output of `outputWords` i32; returns them. */
export async function dispatchOnce(device: GPUDevice, code: string, input: Int32Array, outputWords: number, groupSize: number): Promise<Int32Array> {
  const inBuf = device.createBuffer({ size: Math.max(4, input.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const outBuf = device.createBuffer({ size: outputWords * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: outputWords * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(inBuf, 0, input);
    const module = device.createShaderModule({ code });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length) throw new Error(`the shader does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.ceil(outputWords / groupSize));
    pass.end();
    enc.copyBufferToBuffer(outBuf, 0, readback, 0, outputWords * 4);
    device.queue.submit([enc.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const out = new Int32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    return out;
  } finally {
    inBuf.destroy();
    outBuf.destroy();
    readback.destroy();
  }
}
