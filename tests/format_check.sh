#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fails when a C++ file of the tree is not laid out as .clang-format says;
# names each file and `clang-format -i FILE` fixes it.
# Usage: format_check.sh CLANG_FORMAT SOURCE_DIR
set -eu
clang_format=$1
cd "$2"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.cpp' '*.hpp')
else
  files=$(find . -path ./build -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print)
fi
# One process for the whole tree first (startup is most of the cost);
# only when it finds something, one per file to name them.
# shellcheck disable=SC2086
"$clang_format" --dry-run --Werror $files >/dev/null 2>&1 && exit 0
bad=0
for f in $files; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (clang-format -i $f)"
    bad=1
  fi
done
exit $bad
