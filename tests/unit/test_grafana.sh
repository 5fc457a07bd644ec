#!/bin/sh
# tests/unit/test_grafana.sh: scripts/grafana-soak.json is a Grafana dashboard that
# can be imported: valid JSON with a title, a uid and panels; every panel queries the
# dashboard's Prometheus data source variable; and every PromQL expression parses, by
# Prometheus' own parser (promtool check rules, each expression a recording rule,
# $job standing for any job). That each metric it names is one phoneswarm serves is
# checked against a real scrape by tests/lab/test_metrics.sh. Lab-free.
# Exit 0 pass, 1 fail, 77 skip (no jq or promtool: scripts/deps test).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$ROOT/scripts/grafana-soak.json
for t in jq promtool; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: no $t (scripts/deps test installs it)"; exit 77; }
done
fail() { echo "FAIL test_grafana: $*"; exit 1; }
jq -e '.title and .uid and (.panels | length > 0)' "$D" >/dev/null || fail "$D: not a dashboard"
bad=$(jq -r '.panels[] | select(.datasource.uid != "${datasource}" or
	([.targets[] | select(.datasource.uid != "${datasource}")] | length) > 0) | .title' "$D")
[ -z "$bad" ] || fail "panels not on the \${datasource} variable: $bad"
n=$(jq '[.panels[].targets[]] | length' "$D")
[ "$n" -gt 10 ] || fail "only $n queries"
tmp=$(mktemp "${TMPDIR:-/tmp}/psw-grafana.XXXXXX.yml") || exit 1
trap 'rm -f "$tmp"' EXIT
{
	echo "groups:"
	echo "  - name: grafana-soak"
	echo "    rules:"
	jq -r '[.panels[].targets[].expr] | to_entries[] |
		"      - record: q\(.key)\n        expr: \(.value | gsub("\\$job"; ".*") | tojson)"' "$D"
} >"$tmp"
out=$(promtool check rules "$tmp" 2>&1) || fail "an expression does not parse: $out"
echo "PASS test_grafana ($n queries parse)"
