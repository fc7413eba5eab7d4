#!/usr/bin/awk -f
# promcheck.awk: check a scrape against the rules of the Prometheus text
# exposition format 0.0.4 that a scraper enforces, for test_metrics.sh (the
# Debian promtool package is not needed). Prints one line per violation
# and exits 1 if there is any:
# - a line is "# HELP NAME TEXT", "# TYPE NAME TYPE", another comment, or
#   a sample "NAME[{LABELS}] VALUE";
# - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
#   [a-zA-Z_][a-zA-Z0-9_]*, label values are quoted with only \\, \" and
#   \n escaped, values are floats, NaN or +Inf/-Inf;
# - TYPE (counter, gauge, histogram, summary, untyped) comes once per
#   family, before its samples; a family's samples are contiguous;
# - naming conventions: counters end in _total; histograms have _bucket
#   samples with an le label, cumulative, ending in le="+Inf" equal to
#   _count, and a _sum;
# - the same series (name and labels) appears once.
function fail(msg) { printf "line %d: %s: %s\n", NR, msg, $0; bad++ }
function family_of(name,   base) {
	base = name
	if (name ~ /_bucket$/) { sub(/_bucket$/, "", base); if (type[base] == "histogram") return base }
	base = name
	if (name ~ /_sum$/) { sub(/_sum$/, "", base); if (type[base] == "histogram" || type[base] == "summary") return base }
	base = name
	if (name ~ /_count$/) { sub(/_count$/, "", base); if (type[base] == "histogram" || type[base] == "summary") return base }
	return name
}
BEGIN { bad = 0; current = "" }
/^# HELP / { next }
/^# TYPE / {
	if (NF != 4) { fail("malformed TYPE"); next }
	name = $3
	if (name !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) fail("bad metric name")
	if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("bad type")
	if (name in type) fail("second TYPE for " name)
	if (name in sampled) fail("TYPE after samples of " name)
	if ($4 == "counter" && name !~ /_total$/) fail("counter not named _total")
	type[name] = $4
	next
}
/^#/ { next }
/^$/ { fail("empty line"); next }
{
	line = $0
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { fail("bad sample name"); next }
	name = substr(line, 1, RLENGTH)
	rest = substr(line, RLENGTH + 1)
	labels = ""
	le = ""
	if (substr(rest, 1, 1) == "{") {
		rest = substr(rest, 2)
		while (substr(rest, 1, 1) != "}") {
			if (!match(rest, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) { fail("bad label"); next }
			lname = substr(rest, 1, RLENGTH - 2)
			rest = substr(rest, RLENGTH + 1)
			if (!match(rest, /^([^"\\\n]|\\\\|\\"|\\n)*"/)) { fail("bad label value"); next }
			lvalue = substr(rest, 1, RLENGTH - 1)
			rest = substr(rest, RLENGTH + 1)
			if (lname == "le") le = lvalue
			labels = labels lname "=" lvalue ","
			if (substr(rest, 1, 1) == ",") rest = substr(rest, 2)
			else if (substr(rest, 1, 1) != "}") { fail("bad label list"); next }
		}
		rest = substr(rest, 2)
	}
	if (rest !~ /^ ([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|NaN|[-+]Inf)( -?[0-9]+)?$/) {
		fail("bad value"); next
	}
	split(substr(rest, 2), parts, " ")
	value = parts[1] + 0
	fam = family_of(name)
	if (!(fam in type)) fail("sample without TYPE")
	if (fam != current) {
		if (fam in sampled) fail("family " fam " not contiguous")
		current = fam
	}
	sampled[fam] = 1
	series = name "{" labels "}"
	if (series in seen) fail("duplicate series")
	seen[series] = 1
	if (type[fam] == "histogram") {
		key = labels
		gsub(/le=[^,]*,/, "", key)
		if (name ~ /_bucket$/) {
			if (le == "") fail("bucket without le")
			else if ((fam, key) in lastb && value < lastb[fam, key]) fail("buckets not cumulative")
			lastb[fam, key] = value
			if (le == "+Inf") inf[fam, key] = value
		} else if (name ~ /_count$/) {
			if (!((fam, key) in inf)) fail("_count before the +Inf bucket")
			else if (inf[fam, key] != value) fail("_count differs from the +Inf bucket")
		} else if (name ~ /_sum$/) {
			hassum[fam, key] = 1
		}
	}
	nsamples++
}
END {
	for (k in inf) if (!(k in hassum)) { split(k, kk, SUBSEP); printf "histogram %s without _sum\n", kk[1]; bad++ }
	if (nsamples == 0) { print "no samples"; bad++ }
	exit bad > 0
}
