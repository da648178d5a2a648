#!/bin/sh
# man_page_test.sh IRONFS MAN_PAGE: every option and command that
# `ironfs --help` lists appears in the man page (mount/ironfs.8), so that the
# two cannot drift apart. An option is a word of --help that starts with a
# dash, or the first word of an indented line of an option list (`ro`,
# `attr_timeout=S`, ...); a command is the word after `ironfs` in a usage
# line. The page is read as troff source with its escapes (\-, \fB, ...)
# taken out.
set -eu
ironfs=$1
page=$2
[ -r "$page" ] || { echo "FAIL: no man page at $page"; exit 1; }
help=$("$ironfs" --help)
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' -e 's/\\&//g' "$page")

{
  # Words that start with a dash: -o, -f, --help, --repair, ...
  printf '%s\n' "$help" | grep -oE '(^|[ [(])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[ [(]//'
  # The first word of an option list's entry: four spaces, then the name.
  printf '%s\n' "$help" | grep -E '^    [a-z-][a-z_,-]*' | awk '{ print $1 }' |
    sed -e 's/,$//' -e 's/=.*/=/'
  # The commands: ironfs fsck, ironfs stats, ...
  printf '%s\n' "$help" | grep -oE 'ironfs [a-z]+ ' | awk '{ print $2 }'
} | sort -u >"${TMPDIR:-/tmp}/ironfs-man-words.$$"

missing=""
count=0
while read -r word; do
  count=$((count + 1))
  # A whole word of the page: not a prefix of a longer option.
  if ! printf '%s\n' "$text" | grep -qE -- "(^|[^a-z_-])$(printf '%s' "$word" | sed 's/[.[\*^$]/\\&/g')($|[^a-z_])"; then
    missing="$missing $word"
  fi
done <"${TMPDIR:-/tmp}/ironfs-man-words.$$"
rm -f "${TMPDIR:-/tmp}/ironfs-man-words.$$"

[ "$count" -ge 20 ] || { echo "FAIL: only $count options found in --help: is the parsing broken?"; exit 1; }
if [ -n "$missing" ]; then
  echo "FAIL: in ironfs --help but not in $page:$missing"
  exit 1
fi
echo "PASS: all $count options and commands of --help are in the man page"
