// Lists where the UCD the tables are generated from (Debian unicode-data) disagrees with the Unicode
// version of the running Node's RegExp (\p{gc} with the 'u' flag), which the reference tokenizer uses.
// usage: node tools/unicode/compare_with_node.mjs [/usr/share/unicode]
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? "/usr/share/unicode";
const gc = new Array(0x110000).fill("Cn");
let first = null;
for (const line of fs.readFileSync(path.join(dir, "UnicodeData.txt"), "utf8").split("\n")) {
  if (!line) continue;
  const f = line.split(";");
  const cp = parseInt(f[0], 16);
  if (f[1].endsWith(", First>")) { first = cp; continue; }
  const lo = f[1].endsWith(", Last>") ? first : cp;
  for (let c = lo; c <= cp; ++c) gc[c] = f[2];
}
const counts = {};
const examples = {};
for (let cp = 0; cp < 0x110000; ++cp) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const ch = String.fromCodePoint(cp);
  if (!new RegExp(`^\\p{gc=${gc[cp]}}$`, "u").test(ch)) {
    const node = ["Lu","Ll","Lt","Lm","Lo","Mn","Mc","Me","Nd","Nl","No","Pc","Pd","Ps","Pe","Pi","Pf","Po","Sm","Sc","Sk","So",
      "Zs","Zl","Zp","Cc","Cf","Co","Cn"].find((g) => new RegExp(`^\\p{gc=${g}}$`, "u").test(ch));
    const key = `${gc[cp]} -> ${node}`;
    counts[key] = (counts[key] ?? 0) + 1;
    (examples[key] ??= []).length < 3 && examples[key].push(cp.toString(16).toUpperCase());
  }
}
console.log(`node ${process.version}, Unicode ${process.versions.unicode}; tables from ${dir}`);
const total = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(`${total} code points differ in general category`);
for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) console.log(`  ${k}: ${n} (e.g. U+${examples[k].join(", U+")})`);
