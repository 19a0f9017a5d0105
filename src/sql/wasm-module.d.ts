/** Types for libpg-query's emscripten factory, which the package ships without declarations. */
declare module 'libpg-query/wasm/libpg-query.js' {
  /** One instance of the compiled parser: its exports and emscripten's memory helpers. */
  export interface PgQueryWasm {
    _malloc(size: number): number;
    _free(ptr: number): void;
    lengthBytesUTF8(text: string): number;
    stringToUTF8(text: string, ptr: number, maxBytes: number): void;
    UTF8ToString(ptr: number, maxBytes?: number): string;
    getValue(ptr: number, type: 'i32'): number;
    _wasm_parse_query_raw(ptr: number): number;
    _wasm_free_parse_result(ptr: number): void;
    _wasm_parse_plpgsql(ptr: number): number;
    _wasm_fingerprint(ptr: number): number;
    _wasm_scan(ptr: number): number;
    _wasm_free_string(ptr: number): void;
  }
  const createModule: () => Promise<PgQueryWasm>;
  export default createModule;
}
