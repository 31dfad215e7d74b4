#!/usr/bin/env python3
"""Drops the fields of `headroom probe --json` that change from run to run
(time, root, live uptime) so the rest can be compared with a golden file."""
import json
import sys

doc = json.load(sys.stdin)
doc.pop("time", None)
doc.pop("root", None)
doc.pop("headroom_version", None)
json.dump(doc, sys.stdout, indent=2, sort_keys=False)
sys.stdout.write("\n")
