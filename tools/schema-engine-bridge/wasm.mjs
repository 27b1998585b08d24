// Loads @prisma/schema-engine-wasm without `--experimental-wasm-modules`.
//
// The package's entry point does `import * as wasm from "./schema_engine_bg.wasm"`,
// which plain Node 20 cannot import. We instantiate the module ourselves and
// hand its exports to the wasm-bindgen glue (`schema_engine_bg.js`), which is
// exactly what the entry point would have done.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GLUE_SPECIFIER = '@prisma/schema-engine-wasm/schema_engine_bg';

/** Panic hook target: the wasm glue calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message`. */
class WasmPanicRegistry {
  message = '';
  set_message(value) {
    this.message = String(value);
  }
  take() {
    const m = this.message;
    this.message = '';
    return m;
  }
}

let loaded;

/**
 * @returns {Promise<{ glue: typeof import('@prisma/schema-engine-wasm'), panics: WasmPanicRegistry }>}
 */
export async function loadSchemaEngineWasm() {
  if (loaded) return loaded;
  const panics = new WasmPanicRegistry();
  globalThis.PRISMA_WASM_PANIC_REGISTRY = panics;

  const glueUrl = import.meta.resolve(GLUE_SPECIFIER);
  const glue = await import(glueUrl);
  const wasmPath = join(dirname(fileURLToPath(glueUrl)), 'schema_engine_bg.wasm');
  const module = await WebAssembly.compile(readFileSync(wasmPath));
  const instance = await WebAssembly.instantiate(module, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();

  loaded = { glue, panics };
  return loaded;
}
