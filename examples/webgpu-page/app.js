// Classifies a bundled Fashion-MNIST test image on WebGPU with the network qgc compiled (net/net.js).
//
// ?image=3 picks the image shown first. ?dot=unpacked makes the network use its unpack-and-multiply
// shaders even where the browser has packed_4x8_integer_dot_product (?dot=packed insists on
// dot4I8Packed; by default the net takes it where the browser has it). Both give the same bytes.
// `globalThis.webgpuPage` holds the net and its device once loaded, for the console and the tests.
import { createNet } from './net/net.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function draw(canvas, pixels) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  pixels.forEach((v, i) => {
    const g = Math.round(255 * v);
    img.data.set([g, g, g, 255], 4 * i);
  });
  const small = new OffscreenCanvas(28, 28);
  small.getContext('2d').putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The float32 values' bits as hex, so a test reads back exactly what the GPU returned. */
function bitsOf(values) {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length), (b) => b.toString(16).padStart(8, '0')).join(' ');
}

/** A GPUDevice from the browser's default adapter; the page owns it (the net only uses it). */
async function openDevice() {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing; Chromium needs a secure context: https or localhost)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() found no adapter');
  const device = await adapter.requestDevice();
  return { adapter, device };
}

async function main() {
  const out = document.getElementById('prediction');
  const fail = (e) => {
    out.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
    out.dataset.error = '1';
  };
  try {
    const params = new URLSearchParams(location.search);
    const dotProduct = params.get('dot') ?? 'auto';
    const [{ images }, { adapter, device }] = await Promise.all([fetch('images.json').then((r) => r.json()), openDevice()]);
    device.lost.then((info) => info.reason !== 'destroyed' && fail(new Error(`the GPU device was lost: ${info.message}`)));
    const net = await createNet(device, { dotProduct });
    globalThis.webgpuPage = { net, device };
    document.getElementById('adapter').textContent = [adapter.info.vendor, adapter.info.architecture].filter(Boolean).join(' ') || 'unnamed';
    document.getElementById('dot').textContent = net.dotProduct === 'packed' ? 'dot4I8Packed' : 'unpack and multiply';

    const pick = document.getElementById('pick');
    images.forEach((_, i) => pick.append(new Option(String(i), String(i))));
    const show = async (i) => {
      const { pixels, label } = images[i];
      draw(document.getElementById('image'), pixels);
      document.getElementById('label').textContent = CLASSES[label];
      const t0 = performance.now();
      const logits = await net.runF32(Float32Array.from(pixels));
      const ms = performance.now() - t0;
      const k = argmax(logits);
      out.textContent = CLASSES[k];
      document.getElementById('logits').textContent = Array.from(logits, (v) => v.toFixed(2)).join(' ');
      document.getElementById('time').textContent = `${ms.toFixed(2)} ms`;
      Object.assign(out.dataset, { index: String(k), image: String(i), logits: bitsOf(logits) });
    };
    pick.addEventListener('change', () => show(Number(pick.value)).catch(fail));
    const first = Number(params.get('image') ?? '0');
    pick.value = String(first);
    await show(first);
  } catch (e) {
    fail(e);
  }
}

main();
