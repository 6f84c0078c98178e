// poetry.js — turns the chinese-poetry database's JSON (npm package chinese-poetry, dist/)
// into a plain-text corpus, one poem after another:
//
//   《title》          the title (for Song ci: the tune name, 词牌), in 《》
//   line               the poem's lines as the database gives them (a couplet, or a ci's
//   line               phrase, ending in ，。？！ and the like)
//                      a blank line between poems
//
// The author is dropped: a title prompt such as 《春望》\n is then followed by the poem itself
// (generate --form relies on it), and names would spend the model's capacity on symbols that
// generation never needs.
//
// Cleaning: editors' notes in （…）, (…), {…} and 〖…〗 are removed; [x] (a character an
// editor supplied) becomes x; whitespace inside a line goes (in a title, a run of it becomes one space). A poem is dropped when a line is
// empty or still holds a sign of a lost or unknown character (□, ○, ●, digits, Latin letters)
// or stray brackets. The script is left as the source has it (Tang: traditional; Song ci:
// simplified): `charrnn train --script` converts it.
//
// usage: node poetry.js tang|songci DIST_DIR OUT_FILE
"use strict";
const fs = require("fs");
const path = require("path");

const kinds = {
  tang: { dir: "quantangshi", pattern: /^poet\.tang\.(\d+)\.json$/, title: (p) => p.title },
  songci: { dir: "songci", pattern: /^ci\.song\.(\d+)\.json$/, title: (p) => p.rhythmic },
};

// `space`: what a run of whitespace becomes ("" in a line, " " in a title).
function clean(text, space) {
  return String(text ?? "")
    .replace(/（[^（）]*）|\([^()]*\)|\{[^{}]*\}|〖[^〖〗]*〗/g, "")
    .replace(/\[([^\[\]]*)\]/g, "$1")
    .trim()
    .replace(/\s+/g, space);
}

const lost = /[□○●0-9A-Za-z\[\]{}()（）〖〗<>]/;

function poemText(kind, poem) {
  const title = clean(kind.title(poem), " ").replace(/《/g, "〈").replace(/》/g, "〉");
  const lines = (poem.paragraphs || []).map((l) => clean(l, ""));
  if (!title || lines.length === 0 || lost.test(title)) return null;
  if (lines.some((l) => l.length === 0 || lost.test(l))) return null;
  return "《" + title + "》\n" + lines.join("\n") + "\n\n";
}

function main() {
  const [kindName, dist, out] = process.argv.slice(2);
  const kind = kinds[kindName];
  if (!kind || !dist || !out) {
    console.error("usage: node poetry.js tang|songci DIST_DIR OUT_FILE");
    process.exit(2);
  }
  const dir = path.join(dist, kind.dir);
  const files = fs
    .readdirSync(dir)
    .filter((f) => kind.pattern.test(f))
    .sort((a, b) => Number(a.match(kind.pattern)[1]) - Number(b.match(kind.pattern)[1]));
  if (files.length === 0) {
    console.error(`poetry.js: no ${kind.pattern} files in ${dir}`);
    process.exit(1);
  }
  const parts = [];
  let kept = 0, dropped = 0;
  for (const f of files) {
    for (const poem of JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))) {
      const text = poemText(kind, poem);
      if (text === null) ++dropped;
      else {
        parts.push(text);
        ++kept;
      }
    }
  }
  fs.writeFileSync(out, parts.join(""));
  console.log(`${kindName}: ${kept} poems kept, ${dropped} dropped (lost characters or empty lines)`);
}

main();
