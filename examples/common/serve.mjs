// A static file server for one folder (no dependencies), for the browser examples:
//   node examples/common/serve.mjs examples/wasm-page [port]
// Serves only files inside the folder (symbolic links inside it are followed), with the MIME
// types an ES module, a .wasm file and a .wgsl shader need.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain',
};

/** Starts the server on 127.0.0.1:`port` (0: any free port) over `root`; resolves to the server. */
export function serve(root, port = 0) {
  const base = normalize(resolve(root) + sep);
  const server = createServer(async (req, res) => {
    const path = normalize(join(base, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(base) && path !== normalize(resolve(root))) {
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
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root, port] = process.argv.slice(2);
  if (!root) {
    console.error('usage: node examples/common/serve.mjs FOLDER [PORT]');
    process.exit(2);
  }
  const server = await serve(root, Number(port ?? 8080));
  console.log(`serving ${resolve(root)} on http://127.0.0.1:${server.address().port}/`);
}
