#!/usr/bin/env bash
# check-macos.sh: placeholder until the darwin layer lands; see docs/TESTING.md.
exit 0
