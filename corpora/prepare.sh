#!/usr/bin/env bash
# prepare.sh NAME — builds corpora/NAME.txt from a Debian package; the text is not committed.
#
#   kjv      the King James Bible (4.3 MB, English) from the bible-kjv package's `bible`
#            program: book and chapter headings, numbered verses, lines wrapped at 80 columns.
#   tang300  300 Tang poems (fortunes-zh): title line, author line, the poem's lines.
#   song100  100 Song ci (fortunes-zh), same form.
#   chinese  fortunes-zh's "chinese" collection: quotations, proverbs, prose.
# fortunes-zh colours titles with ANSI escapes and separates entries with '%' lines: the
# recipe strips the escapes and turns each separator into an empty line.
set -euo pipefail
cd "$(dirname "$0")"
name=${1:-kjv}
out="$name.txt"
if [[ -s "$out" ]]; then
  echo "corpora: $out is ready ($(wc -c <"$out") bytes)"
  exit 0
fi
case "$name" in
  kjv)
    command -v bible >/dev/null || { echo "corpora: 'bible' not found; run make deps" >&2; exit 1; }
    COLUMNS=80 bible "Gen1:1-Rev22:21" </dev/null >"$out.tmp"
    ;;
  tang300 | song100 | chinese)
    src=/usr/share/games/fortunes/$name
    [[ -f $src ]] || { echo "corpora: $src not found; run make deps" >&2; exit 1; }
    sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^%$//' "$src" >"$out.tmp"
    ;;
  *)
    echo "corpora: unknown corpus '$name' (known: kjv tang300 song100 chinese)" >&2
    exit 2
    ;;
esac
mv "$out.tmp" "$out"
echo "corpora: wrote $out ($(wc -c <"$out") bytes)"
