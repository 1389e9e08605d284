import type { Server } from 'node:http';
/** Starts a static file server on 127.0.0.1:`port` (0: any free port) over `root`. */
export function serve(root: string, port?: number): Promise<Server>;
