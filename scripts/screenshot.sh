#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Screenshots of the main window with stories260K.gguf open and one tensor's histogram shown,
# rendered on a virtual X server (Xvfb) at 1280x800: OUTPUT as the window opens,
# OUTPUT-evaluate.png after an evaluation on TinyStories finished (Evaluate panel and Evaluation
# Runs table), and after Analyze Model (spectra + TinyStories calibration) the Inspector's tabs
# OUTPUT-histogram.png, OUTPUT-spectrum.png, OUTPUT-channels.png and the Model Overview heat map
# OUTPUT-overview.png; then jobs-dock.png beside OUTPUT: dev256 with an analysis and an
# evaluation running at once, both in the Jobs dock; and export-preview.png / export-verified.png:
# dev256 compressed with resources/recipes/mixed-llama.json, File > Export… to GGUF before and
# after the export; compare-errors.png, compare-histograms.png and compare-behaviour.png: dev256
# against its mixed-llama.json compression held in memory (Evaluate > Compare Runs…), the eval
# text cut into documents (slices), one result tab each; sensitivity.png and tradeoffs.png: a
# dev256 project with a sensitivity table and a sweep (solver, uniform recipes, llama.cpp Q4_K_M
# as a reference); structures.png: dev256's Model Overview Structures tab (FFN score curves
# with the cut, blocks by angular distance and ΔKLD). Builds nothing: pass a build directory
# that has app/compression-workbench and app/cwb.
#
#   scripts/screenshot.sh BUILD_DIR [TENSOR] [OUTPUT.png] [-- extra GUI options]
#
# TENSOR defaults to layers.0.attn.q, OUTPUT to screenshots/main-window.png in the source tree.
# Assets come from $CWB_SHARED (default: ../shared beside the source tree).
set -euo pipefail

usage() { sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 && $1 != -h && $1 != --help ]] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "$1" && pwd)"
shift
tensor="${1:-layers.0.attn.q}"
[[ $# -gt 0 ]] && shift
out="${1:-$root/screenshots/main-window.png}"
[[ $# -gt 0 ]] && shift
[[ ${1:-} == -- ]] && shift

app="$build/app/compression-workbench"
shared="${CWB_SHARED:-$root/../shared}"
model="$shared/models/stories260K/stories260K.gguf"
text="$shared/data/tinystories/tinystories_validation_head.txt"
[[ -x $app ]] || { echo "error: $app not found; build the compression-workbench target first" >&2; exit 1; }
[[ -f $model ]] || { echo "error: $model not found; set CWB_SHARED" >&2; exit 1; }
[[ -f $text ]] || { echo "error: $text not found; set CWB_SHARED" >&2; exit 1; }
dev="$shared/models/dev256"
dev_eval="$shared/data/dev256/eval.txt"
dev_calib="$shared/data/dev256/calib.txt"
[[ -d $dev && -f $dev_eval && -f $dev_calib ]] \
    || { echo "error: dev256 model or texts not found under $shared; set CWB_SHARED" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "error: xvfb-run not found (apt-get install xvfb)" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
# A throw-away settings home, so a restored window geometry or language does not leak in.
settings="$(mktemp -d)"
trap 'rm -rf "$settings"' EXIT
shoot_model() {
    local file="$1"
    shift
    rm -rf "${settings:?}"/*
    XDG_CONFIG_HOME="$settings" XDG_RUNTIME_DIR="$settings" \
        timeout "${shot_timeout:-120}" xvfb-run -a -s "-screen 0 1280x800x24" \
        "$app" --window-size 1280x800 --select "$tensor" "$@" "$file"
}
shoot() { shoot_model "$model" "$@"; }
shoot --screenshot "$out" "$@"
echo "saved $out"
eval_out="${out%.png}-evaluate.png"
shoot --screenshot "$eval_out" --evaluate "$text" --eval-ctx 128 --eval-chunks 64 \
    --eval-latency --run-evaluation "$@"
echo "saved $eval_out"
# k = 3: no channel of stories260K exceeds the default 6 x median, and these pictures should
# show how outlier channels and thresholds look.
analysis=(--hide-evaluate --analyze --calibration "$text" --outlier-factor 3)
for tab in histogram spectrum channels; do
    tab_out="${out%.png}-$tab.png"
    shoot --screenshot "$tab_out" "${analysis[@]}" --tab "$tab" "$@"
    echo "saved $tab_out"
done
overview_out="${out%.png}-overview.png"
shoot --screenshot "$overview_out" "${analysis[@]}" --tab spectrum --overview "$@"
echo "saved $overview_out"
# dev256 is big enough that both jobs still run when the picture is taken.
jobs_out="$(dirname "$out")/jobs-dock.png"
shoot_model "$dev" --screenshot "$jobs_out" --while-running --evaluate "$dev_eval" --eval-ctx 256 \
    --run-evaluation --analyze --calibration "$dev_calib" "$@"
echo "saved $jobs_out"
# The Export dialog: its preview of a mixed compression, then the verification of the written file.
recipe="$root/resources/recipes/mixed-llama.json"
export_dir="$(mktemp -d)"
trap 'rm -rf "$settings" "$export_dir"' EXIT
for stage in preview verified; do
    stage_out="$(dirname "$out")/export-$stage.png"
    extra=()
    [[ $stage == verified ]] && extra=(--run-export)
    shoot_model "$dev" --screenshot "$stage_out" --recipe "$recipe" --compress \
        --compress-calibration "$dev_calib" --export gguf --export-out "$export_dir/dev256.gguf" \
        "${extra[@]}" "$@"
    echo "saved $stage_out"
done
# The comparison view: the original against its compression, the slices of dev256's eval text.
# Compressing and comparing both take about a minute on a busy machine.
shot_timeout=300
for tab in errors histograms behaviour; do
    compare_out="$(dirname "$out")/compare-$tab.png"
    shoot_model "$dev" --screenshot "$compare_out" --hide-evaluate --recipe "$recipe" --compress \
        --compress-calibration "$dev_calib" --compare model --compare compressed \
        --compare-text "$dev_eval" --compare-ctx 128 --compare-chunks 120 --compare-tab "$tab" "$@"
    echo "saved $compare_out"
done
# Choosing: a dev256 project with a sensitivity table (ggml types) and a sweep of uniform
# recipes, solver recipes at six budgets and llama.cpp's own Q4_K_M file as a reference, made
# with this build's cwb (a few minutes); then the Model Overview's Sensitivity tab and the
# Trade-offs dock with its Pareto front.
cwb="$build/app/cwb"
quantize="$shared/tools/llama.cpp/llama-quantize"
work="$export_dir/choose"
mkdir -p "$work"
candidates=q8_0,q6_k,q5_k,q4_k,q3_k,q2_k,q4_0
choose=(--calib "$dev_calib" --candidates "$candidates" --project "$work/dev.cwbproj" --windows 4
        --sequences 32)
"$cwb" sensitivity "$dev" "${choose[@]}" >/dev/null
recipes=()
for b in 3.5 4.0 4.5 5.0 5.5 6.5; do
    "$cwb" solve "$dev" "${choose[@]}" --budget-bpw "$b" --out "$work/solver-$b.json" >/dev/null
    recipes+=(--recipe "$work/solver-$b.json")
done
for t in q8_0 q6_k q5_k q4_k q3_k q4_0; do
    printf '{"version": 1, "name": "uniform %s", "defaults": {"methods": [{"method": "%s"}]}}\n' \
        "$t" "$t" >"$work/uniform-$t.json"
    recipes+=(--recipe "$work/uniform-$t.json")
done
"$quantize" "$dev/dev256-f32.gguf" "$work/dev256-Q4_K_M.gguf" Q4_K_M >/dev/null 2>&1
"$cwb" sweep "$dev" --project "$work/dev.cwbproj" --text "$dev_eval" --ctx 256 --chunks 20 \
    "${recipes[@]}" --reference "$work/dev256-Q4_K_M.gguf" >/dev/null 2>&1
for view in sensitivity tradeoffs; do
    view_out="$(dirname "$out")/$view.png"
    shoot_model "$dev" --screenshot "$view_out" --hide-evaluate --project "$work/dev.cwbproj" \
        --show "$view" "$@"
    echo "saved $view_out"
done
# The Structures tab: dev256 scored on its calibration text.
structures_out="$(dirname "$out")/structures.png"
shoot_model "$dev" --screenshot "$structures_out" --hide-evaluate --structures "$dev_calib" "$@"
echo "saved $structures_out"
