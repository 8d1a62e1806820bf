#!/usr/bin/env bash
# Full mode, for publication in docs/benchmarks.md: every size and policy. See run.sh.
exec "$(dirname "$0")/run.sh" full "$@"
