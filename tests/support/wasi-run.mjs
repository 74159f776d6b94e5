// Runs the command-line program built for wasm32-wasip1 under Node's WASI,
// with the real file system visible at the same paths, so a test can run
// the same command natively and in wasm and compare the files they write.
//     node wasi-run.mjs emergence-lab.wasm run --preset playground --out /tmp/x
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, exit } from 'node:process';

const [wasmPath, ...args] = argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: ['emergence-lab', ...args],
  env: {},
  preopens: { '/': '/' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
