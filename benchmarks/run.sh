#!/usr/bin/env bash
# Runs the peer comparisons of the benchmarks module and prints the ratio table (docs/benchmarks.md).
#
#   benchmarks/run.sh quick [extra JMH options]   # reduced set, forks 1, short iterations: under 5 minutes
#   benchmarks/run.sh full  [extra JMH options]   # every size and policy, for publication
#
# Builds the benchmark jar first if it is missing or older than a source or pom. Needs only a JDK 17+ and Maven.
# The JMH result is kept in benchmarks/target/jmh-<mode>.json; the table goes to stdout and to
# benchmarks/target/jmh-<mode>.md. Ours and the peers run in the same JVM invocation, one after the other, so the
# ratios compare like with like even on a loaded machine; the load average is printed with the table.
set -euo pipefail

mode=${1:-quick}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
jar=$root/benchmarks/target/benchmarks.jar

stale=$(find "$root/pom.xml" "$root/kvbm-reactive/pom.xml" "$root/kvbm-reactive/src/main" \
    "$root/benchmarks/pom.xml" "$root/benchmarks/src/main" -type f -newer "$jar" -print -quit 2>/dev/null || true)
if [[ ! -f $jar || -n $stale ]]; then
    echo "building $jar ..."
    (cd "$root" && mvn -B -q -pl benchmarks -am -DskipTests -Djacoco.skip=true package)
fi

benchmarks='AllocateBenchmark|TryAllocateBenchmark|MatchBenchmark|BulkCloseBenchmark|FrequencySketchBenchmark'
case $mode in
    quick)
        # N = 128 only (the targets' size), n = 1 and 128, two sketch sizes (in cache, out of cache)
        args=(-f 1 -wi 3 -w 300ms -i 8 -r 300ms -p blocks=128 -p n=1,128 -p capacity=32768,2097152)
        ;;
    full)
        args=(-f 1 -wi 3 -w 1s -i 8 -r 500ms)
        ;;
    *)
        echo "usage: $0 quick|full [extra JMH options]" >&2
        exit 2
        ;;
esac

out=$root/benchmarks/target/jmh-$mode.json
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
echo "load average before the run: $load"
java -jar "$jar" "$benchmarks" "${args[@]}" -prof gc -rf json -rff "$out" "$@"
java -Dload.before="$load" -cp "$jar" io.kvbm.benchmarks.report.RatioReport "$out" | tee "${out%.json}.md"
