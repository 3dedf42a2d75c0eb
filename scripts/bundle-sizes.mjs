#!/usr/bin/env node
// Sizes of every file of a bundle (or any files): raw, gzip -9 and brotli -q 11,
// as a static host would serve them. Usage: node scripts/bundle-sizes.mjs DIR|FILE... [--json] [--write]
// --write also writes FILE.gz and FILE.br beside each file (for hosts that serve precompressed files).
import { readFileSync, writeFileSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const args = process.argv.slice(2);
const json = args.includes("--json");
const write = args.includes("--write");
const files = [];
for (const a of args.filter((a) => !a.startsWith("--"))) {
  if (statSync(a).isDirectory()) {
    for (const f of readdirSync(a).sort()) {
      if (!f.endsWith(".gz") && !f.endsWith(".br") && statSync(join(a, f)).isFile()) files.push(join(a, f));
    }
  } else files.push(a);
}
const rows = files.map((f) => {
  const b = readFileSync(f);
  const gz = gzipSync(b, { level: 9 });
  const br = brotliCompressSync(b, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length, [constants.BROTLI_PARAM_LGWIN]: 24 },
  });
  if (write) { writeFileSync(f + ".gz", gz); writeFileSync(f + ".br", br); }
  return { file: f, bytes: b.length, gzip: gz.length, brotli: br.length };
});
const total = rows.reduce((t, r) => ({ bytes: t.bytes + r.bytes, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { bytes: 0, gzip: 0, brotli: 0 });
if (json) console.log(JSON.stringify({ files: rows, total }));
else {
  const mb = (n) => (n / 1e6).toFixed(2).padStart(8);
  console.log("      raw MB  gzip MB  brotli MB  file");
  for (const r of rows) console.log(`${mb(r.bytes)} ${mb(r.gzip)} ${mb(r.brotli)}   ${r.file}`);
  console.log(`${mb(total.bytes)} ${mb(total.gzip)} ${mb(total.brotli)}   total`);
}
