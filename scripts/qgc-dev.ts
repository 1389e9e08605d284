/** Runs the CLI from source without building: `npx tsx scripts/qgc-dev.ts inspect model.onnx`. */
import { main } from '../src/cli/main.js';
process.exitCode = await main(process.argv);
