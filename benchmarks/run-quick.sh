#!/usr/bin/env bash
# Quick mode (under 5 minutes): builds if needed, runs the reduced set and prints the ratio table. See run.sh.
exec "$(dirname "$0")/run.sh" quick "$@"
