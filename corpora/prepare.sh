#!/usr/bin/env bash
# prepare.sh NAME — builds corpora/NAME.txt from a Debian package; the text is not committed.
#
#   kjv      the King James Bible (4.3 MB, English) from the bible-kjv package's `bible`
#            program: book and chapter headings, numbered verses, lines wrapped at 80 columns.
#   tang300  300 Tang poems (fortunes-zh): title line, author line, the poem's lines.
#   song100  100 Song ci (fortunes-zh), same form.
#   chinese  fortunes-zh's "chinese" collection: quotations, proverbs, prose.
#   tang     every Tang poem of the chinese-poetry database (npm package chinese-poetry 2.0.1,
#            MIT; about 55,000 poems, 4 M characters, traditional script): title line, the
#            poem's lines, a blank line (poetry.js says what is cleaned and dropped).
#   songci   every Song ci of the same package (about 20,000, simplified script), same form
#            with the tune name as the title.
# fortunes-zh colours titles with ANSI escapes and separates entries with '%' lines: the
# recipe strips the escapes and turns each separator into an empty line.
#
# The chinese-poetry tarball is fetched once with `npm pack` into the cache folder
# ($CHARRNN_CORPUS_CACHE, default corpora/cache) and checked against the registry's integrity
# hash before anything is read from it; a tarball that does not match is never used.
set -euo pipefail
cd "$(dirname "$0")"
poetry_version=2.0.1
# The registry's "integrity" of chinese-poetry 2.0.1 (sha512-KtYARvV7...), in hex for sha512sum.
poetry_sha512=2ad60046f57b09636d6b1d276bdf899fa3e5846812a2277b3d6c83cd72382ac0849b6a1d65ca84432bda97992868bca066733f110de57c9fffdb92bca77b8736
cache=${CHARRNN_CORPUS_CACHE:-$PWD/cache}

# Writes the checked package's dist/ folder under $cache and prints its path.
poetry_dist() {
  local tgz="$cache/chinese-poetry-$poetry_version.tgz" dist="$cache/chinese-poetry-$poetry_version"
  mkdir -p "$cache"
  if [[ ! -f $tgz ]]; then
    command -v npm >/dev/null || { echo "corpora: npm not found; run: bash scripts/deps.sh npm" >&2; exit 1; }
    echo "corpora: downloading chinese-poetry@$poetry_version (85 MB) with npm pack" >&2
    (cd "$cache" && npm pack --silent "chinese-poetry@$poetry_version" </dev/null >/dev/null)
  fi
  if [[ $(sha512sum "$tgz" | cut -d' ' -f1) != "$poetry_sha512" ]]; then
    echo "corpora: $tgz does not match the registry's integrity hash of chinese-poetry@$poetry_version;" \
      "delete it and run again to download it anew" >&2
    exit 1
  fi
  if [[ ! -f $dist/.complete ]]; then
    rm -rf "$dist" && mkdir -p "$dist"
    tar -xzf "$tgz" -C "$dist" --strip-components=1 package/dist
    touch "$dist/.complete"
  fi
  echo "$dist/dist"
}
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
  tang | songci)
    command -v node >/dev/null || { echo "corpora: node not found; run: bash scripts/deps.sh npm" >&2; exit 1; }
    dist=$(poetry_dist)
    node poetry.js "$name" "$dist" "$out.tmp" >&2
    ;;
  *)
    echo "corpora: unknown corpus '$name' (known: kjv tang300 song100 chinese tang songci)" >&2
    exit 2
    ;;
esac
mv "$out.tmp" "$out"
echo "corpora: wrote $out ($(wc -c <"$out") bytes)"
