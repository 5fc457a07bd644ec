#!/bin/sh
# tests/unit/test_report_schema.sh: docs/report.schema.json is a valid JSON Schema
# (Draft 2020-12), and it is not one that takes anything: a document missing a
# required field, with a field it does not know, or with a wrong type is refused.
# Its counter sections (phones, rtp, config, traffic) are those of the counter table
# (scripts/report-schema --check: `make schema` writes them), and the check finds a
# counter missing from a copy. Lab-free; reports of real runs are validated by the lab tests.
# Exit 0 pass, 1 fail, 77 skip (no python3-jsonschema: scripts/deps test).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
BUILD=${1:-build}
if ! "$ROOT/scripts/report-schema" --check "$BUILD"; then
	echo "FAIL test_report_schema: docs/report.schema.json is behind engine/stats/counters.def"
	exit 1
fi
tmp=$(mktemp) && trap 'rm -f "$tmp"' EXIT
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1])); del s["properties"]["traffic"]["properties"]["dpd_sent"]
json.dump(s, open(sys.argv[2], "w"), indent=2)' "$ROOT/docs/report.schema.json" "$tmp" || exit 1
if REPORT_SCHEMA=$tmp "$ROOT/scripts/report-schema" --check "$BUILD" >/dev/null; then
	echo "FAIL test_report_schema: a schema without traffic.dpd_sent passed the check"
	exit 1
fi
if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: no python3-jsonschema (scripts/deps test installs it)"
	exit 77
fi
"$PY" - "$ROOT/docs/report.schema.json" <<'PYEOF' || exit 1
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
# the smallest report the schema takes: every required field, each of its type
def minimal(s):
    s = s.get("$ref") and schema["$defs"][s["$ref"].split("/")[-1]] or s
    if "const" in s: return s["const"]
    if "enum" in s: return s["enum"][0]
    if "oneOf" in s: return minimal(s["oneOf"][-1])
    t = s.get("type"); t = t[0] if isinstance(t, list) else t
    if t == "object": return {k: minimal(s["properties"][k]) for k in s.get("required", [])}
    return {"array": [], "string": "x", "integer": 0, "number": 0, "boolean": True, "null": None}[t]
doc = minimal(schema)
doc["version"], doc["run_id"] = "0.1.0", "0b7d2f6e-1c4a-4e8b-9f3d-5a6b7c8d9e0f"
doc["rtp"]["mos_mean"] = doc["rtp"]["mos_min"] = None
errs = list(v.iter_errors(doc))
if errs:
    print("FAIL test_report_schema: a minimal report refused:", errs[0].message); sys.exit(1)
bad = {
    "no phones": lambda d: d.pop("phones"),
    "an unknown field": lambda d: d.__setitem__("phones_up", 3),
    "an unknown counter": lambda d: d["phones"].__setitem__("teleported", 1),
    "a count as text": lambda d: d["phones"].__setitem__("attempted", "10"),
    "a negative count": lambda d: d["config"].__setitem__("fetched", -1),
    "a latency without p99": lambda d: d["latency_us"]["auth"].pop("p99"),
    "started_at not UTC": lambda d: d.__setitem__("started_at", "2026-12-05 00:00:00"),
    "schema_version 1": lambda d: d.__setitem__("schema_version", 1),
    "a failure count of 0": lambda d: d["failures"].__setitem__("TcpError", 0),
}
for what, f in bad.items():
    d = copy.deepcopy(doc); f(d)
    if v.is_valid(d):
        print("FAIL test_report_schema: taken with", what); sys.exit(1)
print("PASS test_report_schema (%d refusals)" % len(bad))
PYEOF
