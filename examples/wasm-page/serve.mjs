// A static file server for this folder (no dependencies): node examples/wasm-page/serve.mjs [port]
// Serves only files inside the folder, with the MIME types a module and a .wasm file need.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** Starts the server on 127.0.0.1:`port` (0: any free port) over `root`; resolves to the server. */
export function serve(root = ROOT, port = 0) {
  const server = createServer(async (req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(normalize(root + sep)) && path !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    const file = path.endsWith(sep) ? join(path, 'index.html') : path;
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(ROOT, Number(process.argv[2] ?? 8080));
  console.log(`serving ${ROOT} on http://127.0.0.1:${server.address().port}/`);
}
