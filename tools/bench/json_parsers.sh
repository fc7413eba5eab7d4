#!/usr/bin/env bash
# json_parsers.sh: build tools/bench/json_parsers.c against every JSON
# library Debian packages (jsmn is header-only, so it has no -l) and reckon's
# own src/decode.c (with the pure modules it links: json_check.c,
# decode_value.c, timestamptz.c, lsn.c; json_parsers.c stands in for
# common.c's ASSERT handler), then time them on the captured wal2json
# fixtures.
#
# Usage, from anywhere: tools/bench/json_parsers.sh [FIXTURES.jsonl [messages]]
# Needs libjsmn-dev libyajl-dev libjson-c-dev libcjson-dev libjansson-dev.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=${1:-$root/tests/fixtures/wal2json_v2.jsonl}
messages=${2:-100000}
tmp=$(mktemp -d /tmp/json_parsers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wpointer-arith -Wundef -Wvla
	-I"$root/include")
src=$root/tools/bench/json_parsers.c

# json-c and jansson both export json_object_get(): one program each.
cc "${cflags[@]}" -o "$tmp/json_parsers" "$src" "$root/src/decode.c" \
	"$root/src/json_check.c" "$root/src/decode_value.c" \
	"$root/src/timestamptz.c" "$root/src/lsn.c" \
	-lyajl -ljson-c -lcjson
cc "${cflags[@]}" -DBENCH_JANSSON -o "$tmp/json_parsers_jansson" "$src" \
	-ljansson
"$tmp/json_parsers" "$fixtures" "$messages"
"$tmp/json_parsers_jansson" "$fixtures" "$messages"
