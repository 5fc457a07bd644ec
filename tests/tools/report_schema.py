#!/usr/bin/python3
# tests/tools/report_schema.py SCHEMA REPORT...: validate each report.json
# against the JSON Schema (Draft 2020-12, Debian's python3-jsonschema),
# after checking the schema itself. Prints every error, with its path in
# the document; exit status 0 all valid, 1 an error, 2 usage.
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print("usage: report_schema.py SCHEMA REPORT...", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path) or "(top)"
            print(f"{path}: {where}: {err.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
