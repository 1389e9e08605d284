// Classifies a bundled Fashion-MNIST test image with the module qgc compiled (net/net.js).
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

async function main() {
  const out = document.getElementById('prediction');
  try {
    const [{ images }, net] = await Promise.all([fetch('images.json').then((r) => r.json()), createNet()]);
    const pick = document.getElementById('pick');
    images.forEach((_, i) => pick.append(new Option(String(i), String(i))));
    const show = (i) => {
      const { pixels, label } = images[i];
      draw(document.getElementById('image'), pixels);
      document.getElementById('label').textContent = CLASSES[label];
      const t0 = performance.now();
      const logits = net.runF32(Float32Array.from(pixels));
      const ms = performance.now() - t0;
      const k = argmax(logits);
      out.textContent = CLASSES[k];
      out.dataset.index = String(k);
      out.dataset.image = String(i);
      document.getElementById('time').textContent = `${ms.toFixed(2)} ms`;
    };
    document.getElementById('module').textContent = net.simd ? 'SIMD' : 'scalar';
    pick.addEventListener('change', () => show(Number(pick.value)));
    const first = Number(new URLSearchParams(location.search).get('image') ?? '0');
    pick.value = String(first);
    show(first);
  } catch (e) {
    out.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
    out.dataset.error = '1';
  }
}

main();
