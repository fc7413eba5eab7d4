#!/usr/bin/env bash
# decoder.sh [CAPTURE.jsonl]: scenario 6 of the benchmark, the wal2json
# decoder alone. Runs tools/bench/json_parsers.sh (reckon's src/decode.c
# beside the bare jsmn tokenizer and the other packaged JSON libraries, best
# of 15 runs) on a captured wal2json format-version 2 stream, one message
# per line: the one tools/bench/run.sh captures from the benchmark's own
# workload, or the wal2json 2.5 fixtures of the unit tests by default.
# Prints the markdown section: messages/s and ns per message of the decoder,
# and the JSON library's share of that time (jsmn's tokenize-and-walk time
# over the decoder's, which adds the grammar check and the row building).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
capture=${1:-$root/tests/fixtures/wal2json_v2.jsonl}
[ -s "$capture" ] || {
	echo "decoder: no capture at $capture" >&2
	exit 1
}
out=$("$root/tools/bench/json_parsers.sh" "$capture" 200000)
ns_of() { awk -v name="$1" 'index($0, name) == 1 {print $(NF - 2)}' <<<"$out"; }
decoder_ns=$(ns_of "reckon decode.c")
jsmn_ns=$(ns_of "jsmn ")
[ -n "$decoder_ns" ] && [ -n "$jsmn_ns" ] || {
	echo "decoder: unexpected json_parsers output:" >&2
	echo "$out" >&2
	exit 1
}
header=$(head -n 1 <<<"$out")

echo "## 6. Decoder"
echo
echo "Input: $header; ns per message on one core."
echo
echo "| decoder | ns/message | messages/s | JSON library share |"
echo "|---|---:|---:|---:|"
awk -v d="$decoder_ns" -v j="$jsmn_ns" 'BEGIN {
	printf "| reckon src/decode.c (jsmn + grammar check + row) | %d | %.0f | %.0f%% (jsmn alone: %d ns) |\n",
		d, 1e9 / d, 100 * j / d, j }'
echo
echo "Every parser on the same input (refused: messages it rejected; wrong:"
echo "results that differ from jsmn's):"
echo
echo '```'
tail -n +3 <<<"$out"
echo '```'
echo
awk -v d="$decoder_ns" 'BEGIN {
	printf "What it means: at %.2f µs per message on one core, decoding is a small\n", d / 1000
	print "part of a change'"'"'s cost; the walsender that produces the message spends"
	print "more CPU on it (scenario 1)." }'
