// socks in the bundle: loaded only when a socks:// proxy is used (imapflow imports it at its top
// level for every connection). The real package is bundled as a chunk of its own.
export const SocksClient = {
  async createConnection(options, callback) {
    // socks is CommonJS: in Node's ESM interop its exports are the default export.
    const mod = await import('socks-real');
    const real = mod.SocksClient ?? mod.default?.SocksClient;
    return real.createConnection(options, callback);
  },
};
