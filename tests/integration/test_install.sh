#!/bin/bash
# test_install.sh: `make install` and `make uninstall` with a packager's
# layout (DESTDIR, PREFIX=/usr, SYSCONFDIR=/etc) into a temporary tree:
# exactly the expected files with their modes, the unit's paths filled in,
# an edited configuration kept by install and uninstall, the man pages
# rendering without warnings and naming every command, option and setting
# that --help prints (so they cannot go stale silently), the unit passing
# systemd-analyze verify and its offline security review, and nothing left
# behind by uninstall. It needs no PostgreSQL cluster: it never calls
# setup_db. A missing renderer or systemd-analyze skips that check, with a
# "# skip" line in the log.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage"
layout=(DESTDIR="$stage" PREFIX=/usr SYSCONFDIR=/etc)
unit="$stage/usr/lib/systemd/system/reckon.service"
conf="$stage/etc/reckon/reckon.conf"
# Run from `make check`, the environment carries the outer make's flags and
# jobserver; this test's make must see only what it is given.
unset MAKEFLAGS MFLAGS MAKELEVEL

# mk TARGET: make TARGET with the layout above; its output in $tmp/make.log
mk()
{
	make -C "$ROOT" --no-print-directory "$1" "${layout[@]}" \
		>"$tmp/make.log" 2>&1
}

# installed_files: "MODE PATH" of every file under $stage, sorted
installed_files()
{
	find "$stage" -type f -printf '%m %P\n' | LC_ALL=C sort
}

expected_files()
{
	local f
	{
		echo "755 usr/bin/reckon"
		echo "755 usr/bin/reckon-slot"
		for f in "$ROOT"/sql/*.sql "$ROOT"/sql/rules/*.sql \
			"$ROOT"/sql/policies/*.sql; do
			echo "644 usr/share/reckon/${f#"$ROOT"/}"
		done
		echo "644 usr/share/reckon/reckon.conf"
		echo "644 etc/reckon/reckon.conf"
		echo "644 usr/share/man/man1/reckon.1"
		echo "644 usr/share/man/man1/reckon-slot.1"
		echo "644 usr/lib/systemd/system/reckon.service"
	} | LC_ALL=C sort
}

# check_same NAME INSTALLED SOURCE: the installed file is the source's copy
check_same()
{
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "$2 differs from $3"
	fi
}

# --- install ---------------------------------------------------------------
if mk install; then
	ok "make install ${layout[*]} exits 0"
else
	not_ok "make install ${layout[*]} exits 0" "$(tail -n 20 "$tmp/make.log")"
fi
got=$(installed_files)
want=$(expected_files)
if [ "$got" == "$want" ]; then
	ok "install puts exactly the expected files, with their modes ($(echo "$want" | wc -l) files)"
else
	not_ok "install puts exactly the expected files, with their modes" \
		"$(diff <(echo "$want") <(echo "$got"))"
fi
for f in schema roles; do
	check_same "sql/$f.sql is installed (operators run it)" \
		"$stage/usr/share/reckon/sql/$f.sql" "$ROOT/sql/$f.sql"
done
check_same "bin/reckon is installed" "$stage/usr/bin/reckon" "$ROOT/bin/reckon"
check_same "bin/reckon-slot is installed" "$stage/usr/bin/reckon-slot" \
	"$ROOT/bin/reckon-slot"
check_same "the default configuration is installed in /etc/reckon" "$conf" \
	"$ROOT/tools/reckon.conf"
check_eq "the unit starts /usr/bin/reckon with /etc/reckon/reckon.conf" \
	"ExecStart=/usr/bin/reckon --config /etc/reckon/reckon.conf" \
	"$(grep '^ExecStart=' "$unit")"
check_eq "no @PLACEHOLDER@ is left in the installed unit" "" \
	"$(grep -oE '@[A-Z]+@' "$unit")"
check_eq "the unit's header names the installed roles.sql" "1" \
	"$(grep -c 'psql -v role=reckon -d DB -f /usr/share/reckon/sql/roles.sql' "$unit")"

# --- an operator's configuration survives install and uninstall -------------
echo "# changed by the operator" >>"$conf"
mk install
check_eq "install again keeps an edited /etc/reckon/reckon.conf" \
	"# changed by the operator" "$(tail -n 1 "$conf")"
check_eq "install says it kept it" "1" "$(grep -c '^install: keeping .*reckon.conf' "$tmp/make.log")"
mk uninstall
check_eq "uninstall keeps an edited configuration, and removes every other file" \
	"644 etc/reckon/reckon.conf" "$(installed_files)"
rm -f "$conf"
mk install

# --- man pages ---------------------------------------------------------------
# render PAGE: the page as text in $tmp/page.txt, warnings in $tmp/page.err,
# with the first of man, groff and mandoc that is installed. man-db's
# --warnings=w is groff's -ww, every warning ("all" names no groff warning
# and shows none).
renderer=""
for r in man groff mandoc; do
	if command -v $r >/dev/null; then
		renderer=$r
		break
	fi
done
render()
{
	case $renderer in
		man)
			MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings=w -l -E UTF-8 \
				"$1" >"$tmp/page.txt" 2>"$tmp/page.err"
			;;
		groff)
			groff -man -Tutf8 -ww -P-c "$1" >"$tmp/page.txt" 2>"$tmp/page.err"
			;;
		mandoc)
			mandoc -T lint -W warning "$1" >"$tmp/page.err" 2>&1 &&
				mandoc -T utf8 "$1" >"$tmp/page.txt"
			;;
	esac
}
for page in reckon reckon-slot; do
	if [ -z "$renderer" ]; then
		echo "# skip: neither man, groff nor mandoc is installed: $page.1 not rendered"
		continue
	fi
	render "$stage/usr/share/man/man1/$page.1"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$tmp/page.err" ] &&
		grep -q "^NAME" "$tmp/page.txt"; then
		ok "$page.1 renders with $renderer without warnings ($(wc -l <"$tmp/page.txt") lines)"
	else
		not_ok "$page.1 renders with $renderer without warnings" \
			"exit $rc: $(head -n 20 "$tmp/page.err")"
	fi
done

# page_text PAGE: the troff source with \- as -, for matching option names
page_text()
{
	sed 's/\\-/-/g' "$ROOT/tools/man/$1.1"
}

# check_options PROGRAM: every long and short option of PROGRAM --help is in
# its page
check_options()
{
	local help text opt missing=""
	help=$("$ROOT/bin/$1" --help)
	text=$(page_text "$1")
	for opt in $(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		if ! printf '%s\n' "$text" | grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)"; then
			missing="$missing $opt"
		fi
	done
	for opt in $(printf '%s\n' "$help" | sed -nE 's/^  -([a-zA-Z?]), --.*/\1/p'); do
		if ! printf '%s\n' "$text" | grep -qE -- "(^|[^a-z-])-[$opt]([^a-z-]|$)"; then
			missing="$missing -$opt"
		fi
	done
	check_eq "every option of $1 --help is in $1.1" "" "${missing# }"
}
check_options reckon
check_options reckon-slot

# Settings: the [reckon] lines of reckon --help, "name (default)", "a, b, c"
# or "name_min/max (...)", each in the page's CONFIGURATION section.
settings=$("$ROOT/bin/reckon" --help |
	sed -n '/^Configuration file settings/,/^Sections/p' |
	sed -nE 's/^  ([a-z_][a-z_, /]*[a-z_])( \(|  ).*/\1/p' |
	sed -E 's/, /\n/g; s/^([a-z]+_)([a-z]+)\/([a-z]+)$/\1\2\n\1\3/')
config_section=$(page_text reckon | awk '/^\.SH CONFIGURATION/ { f = 1; next } /^\.SH/ { f = 0 } f')
missing=""
for s in $settings; do
	if ! printf '%s\n' "$config_section" | grep -qE "(^|[^a-z_])$s([^a-z_]|$)"; then
		missing="$missing $s"
	fi
done
check_eq "every setting of reckon --help ($(echo "$settings" | wc -w)) is in CONFIGURATION of reckon.1" "" "${missing# }"

# Commands: the "Commands:" block of reckon-slot --help, each a tag of COMMANDS.
commands=$("$ROOT/bin/reckon-slot" --help | sed -n '/^Commands:/,/^$/p' |
	sed -nE 's/^  ([a-z]+)( .*)?$/\1/p')
commands_section=$(page_text reckon-slot | awk '/^\.SH COMMANDS/ { f = 1; next } /^\.SH/ { f = 0 } f')
missing=""
for c in $commands; do
	if ! printf '%s\n' "$commands_section" | grep -qE "^\.(B|BI|BR) \"?$c( |\"|$)"; then
		missing="$missing $c"
	fi
done
check_eq "every command of reckon-slot --help ($(echo "$commands" | wc -w)) is in COMMANDS of reckon-slot.1" "" "${missing# }"

# --- the systemd unit ----------------------------------------------------------
# verify checks that ExecStart's program exists and runs man for every
# Documentation= page, both on this machine: it reads a copy whose ExecStart
# points into the stage, with MANPATH there. It prints problems (an unknown
# key, a bad value) and still exits 0, so any output fails the check.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/verify"
	sed "s|^ExecStart=/usr/bin/|ExecStart=$stage/usr/bin/|" "$unit" \
		>"$tmp/verify/reckon.service"
	man_opt=()
	if ! command -v man >/dev/null; then
		echo "# skip: no man here: verify does not check Documentation="
		man_opt=(--man=no)
	fi
	out=$(MANPATH="$stage/usr/share/man" systemd-analyze verify "${man_opt[@]}" \
		"$tmp/verify/reckon.service" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify accepts the installed unit"
	else
		not_ok "systemd-analyze verify accepts the installed unit" "exit $rc: $out"
	fi
	# exposure is 0 (locked down) to 100 (not at all); the unit scores
	# about 18: 30 leaves room for systemd's scoring to move, not for a
	# hardening line to go missing.
	out=$(systemd-analyze security --offline=yes --threshold=30 \
		"$tmp/verify/reckon.service" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "the unit's exposure level is under 3.0: $(printf '%s\n' "$out" |
			sed -nE 's/.*exposure level for [^:]*: ([0-9.]+ [A-Z]+).*/\1/p')"
	else
		not_ok "systemd-analyze security: exposure over 3.0" "$(printf '%s\n' "$out" | grep -v '^✓' | tail -n 30)"
	fi
else
	echo "# skip: systemd-analyze is not installed: the unit is not verified"
fi

# --- uninstall -----------------------------------------------------------------
if mk uninstall; then
	ok "make uninstall ${layout[*]} exits 0"
else
	not_ok "make uninstall ${layout[*]} exits 0" "$(tail -n 20 "$tmp/make.log")"
fi
check_eq "uninstall leaves no file behind" "" "$(installed_files)"
for d in usr/share/reckon etc/reckon; do
	if [ -e "$stage/$d" ]; then
		not_ok "uninstall removes the emptied $d"
	else
		ok "uninstall removes the emptied $d"
	fi
done
test_done
