#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (clang, ASan + UBSan, ./build-fuzz, not part of the default
# build) and runs one target or all of them, one after another.
#
#   scripts/fuzz.sh [TARGET|all] [--seconds N] [--runs N] [--no-build]
#
# TARGET: gguf safetensors llama2c bpe_tokenizer recipe logits hdf5 (default: all).
# --seconds N: time per target (default 60); --runs N: stop a target after N inputs instead.
# Seeds are made fresh in build-fuzz/seeds/ from our own writers (fuzz_make_seeds) and the real
# files of $CWB_SHARED/models (default ../shared beside the repository; never copied into the
# repository). What libFuzzer finds grows build-fuzz/corpus/TARGET; crashes land in
# build-fuzz/artifacts/TARGET/; each run's final statistics are appended to
# build-fuzz/fuzz-runs.tsv (target, seconds, executions, coverage, features, crashes), and the
# totals per target are printed at the end.
# Environment: NICE (default 10), JOBS (build, default 2), FUZZ_ARGS (more libFuzzer flags),
# FUZZ_SEEDS_DIR (where the seeds are made; give a second run at the same time its own).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
shared=${CWB_SHARED:-$(cd "$root/.." && pwd)/shared}
all_targets=(gguf safetensors llama2c bpe_tokenizer recipe logits hdf5)

targets=()
seconds=60
runs=""
build_it=1
while (($#)); do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-build) build_it=0; shift ;;
    all) targets=("${all_targets[@]}"); shift ;;
    -h|--help) sed -n '3,17p' "$0"; exit 0 ;;
    *)
        if [[ " ${all_targets[*]} " != *" $1 "* ]]; then
            echo "fuzz.sh: unknown target '$1' (known: ${all_targets[*]})" >&2
            exit 2
        fi
        targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

if ((build_it)); then
    for tool in clang clang++; do
        command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
    done
    if [ ! -f "$build/CMakeCache.txt" ]; then
        # -O1 -g1: the usual fuzzing trade-off (fast enough, quick to build, readable stacks).
        CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_C_FLAGS_RELEASE="-O1 -g1" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1" -DCWB_FUZZ=ON -DCWB_BUILD_GUI=OFF -DCWB_BUILD_TESTS=OFF >/dev/null
    fi
    nice -n "${NICE:-10}" cmake --build "$build" -j "${JOBS:-2}" --target fuzz_make_seeds \
        $(printf 'fuzz_%s ' "${targets[@]}")
fi

# Seeds: our own files, then the real models with the mode byte each target expects in front.
seeds=${FUZZ_SEEDS_DIR:-$build/seeds} # another directory for a second fuzz.sh run at once
rm -rf "$seeds"
mkdir -p "$seeds"
for t in "${all_targets[@]}"; do mkdir -p "$seeds/$t"; done
if [ -x "$build/fuzz/fuzz_make_seeds" ]; then
    "$build/fuzz/fuzz_make_seeds" "$seeds"
else
    echo "fuzz.sh: no fuzz_make_seeds built (--no-build): seeds from shared/models only" >&2
fi
add_seed() { # target prefix file
    [ -f "$3" ] || return 0
    { printf '%s' "$2"; cat "$3"; } >"$seeds/$1/shared-$(basename "$(dirname "$3")")-$(basename "$3")"
}
if [ -d "$shared/models" ]; then
    while IFS= read -r f; do add_seed gguf "" "$f"; done < <(find "$shared/models" -name '*.gguf')
    while IFS= read -r f; do add_seed safetensors F "$f"; done < <(find "$shared/models" -name '*.safetensors')
    add_seed llama2c M "$shared/models/stories260K/stories260K.bin"
    add_seed llama2c T "$shared/models/stories260K/tok512.bin"
    add_seed llama2c T "$shared/models/llama2c-tokenizer-32k/tokenizer.bin"
    while IFS= read -r f; do add_seed hdf5 K "$f"; done < <(find "$shared/models" -name '*.h5')
else
    echo "fuzz.sh: $shared/models is missing; fuzzing from our own seeds only" >&2
fi

# Longest input per target: whole small files for the HDF5 readers (a cut HDF5 file is refused
# at once), headers plus some tensor data for the others.
max_len() {
    case "$1" in
    hdf5) echo 262144 ;;
    recipe|bpe_tokenizer|logits) echo 16384 ;;
    *) echo 65536 ;;
    esac
}

tsv=$build/fuzz-runs.tsv
[ -f "$tsv" ] || printf 'target\tseconds\texecutions\tcoverage\tfeatures\tcrashes\n' >"$tsv"
for t in "${targets[@]}"; do
    mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
    log=$build/logs/$t-$(date +%Y%m%d-%H%M%S)-$$.log # the pid: two runs may start in one second
    limit=(-max_total_time="$seconds")
    [ -n "$runs" ] && limit=(-runs="$runs")
    echo "fuzz.sh: $t (${runs:+$runs runs}${runs:-$seconds s}), log $log"
    # -rss_limit_mb / malloc limit: one allocation over 2 GB is a finding (a size taken on trust).
    # Two third-party findings in libhdf5 are suppressed (scripts/sanitizer/fuzz-*.supp says which).
    # Except for hdf5: libhdf5 sizes metadata buffers from the file before it reads them and
    # checks what malloc returns (a corrupt object header made H5C_protect ask for 14.8 GB, another
    # for 2^64 - 343 bytes): its own refused read, nothing of ours. There an oversized malloc
    # returns NULL and only the memory actually used (RSS) is limited.
    alloc_null=0 malloc_limit=()
    if [ "$t" = hdf5 ]; then alloc_null=1 malloc_limit=(-malloc_limit_mb=1048576); fi
    set +e
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=$alloc_null:suppressions=$root/scripts/sanitizer/fuzz-asan.supp} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitizer/fuzz-lsan.supp:print_suppressions=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    nice -n "${NICE:-10}" "$build/fuzz/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 "${malloc_limit[@]}" \
        -max_len="$(max_len "$t")" -dict="$root/fuzz/dict/$t.dict" -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t/" ${FUZZ_ARGS:-} \
        "$build/corpus/$t" "$seeds/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    crashes=$(find "$build/artifacts/$t" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "${execs:-0}" "${cov:-0}" "${ft:-0}" \
        "$crashes" >>"$tsv"
    echo "fuzz.sh: $t: ${execs:-0} executions, coverage ${cov:-?}, features ${ft:-?}, exit $rc, artifacts $crashes"
    if ((rc != 0)); then
        echo "fuzz.sh: $t stopped on a finding; see $log and $build/artifacts/$t/" >&2
    fi
done

echo "fuzz.sh: totals over every run recorded in $tsv"
awk -F'\t' 'NR > 1 { e[$1] += $3; if ($4 > c[$1]) c[$1] = $4 }
            END { for (t in e) printf "  %-14s %12d executions, coverage %d\n", t, e[t], c[t] }' "$tsv"
