#!/usr/bin/env bash
# The GPU check of absnas, to run as-is on a machine with an NVIDIA GPU (and
# its driver), from a checkout of the repository:
#
#   bash bench/gpu-check.sh
#
# Within ~8 minutes it installs what it needs (the Vulkan loader through
# apt-get when missing and running as root; node_modules with npm ci when
# missing; @tensorflow/tfjs-node-gpu 4.22.0 with npm, without saving it, and
# removes it again at the end), then reports the GPU (nvidia-smi),
# `absnas doctor`, the backend gradient tests on webgpu (against the float64
# reference), and the NB201 training step (C=16, N=5, batch 64) on webgpu, on
# tfjs-node-gpu where it installs and loads, and on the CPU path for
# comparison. Each step has a time limit; a step that fails or runs out of
# time is reported in the summary table and the next one runs. The table
# ends the output; each step's log stays in the folder named there.
#
# Environment:
#   GPU_CHECK_SKIP="tfjs_node_gpu vulkan ..."  step names to skip
#   GPU_CHECK_BUDGET=470      seconds for all steps together
#   GPU_CHECK_STEPS=5         timed NB201 steps per backend (after 2 warm-up steps)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
budget="${GPU_CHECK_BUDGET:-470}"
steps="${GPU_CHECK_STEPS:-5}"
skip=" ${GPU_CHECK_SKIP:-} "
logs="$(mktemp -d "${TMPDIR:-/tmp}/absnas-gpu-check.XXXXXX")"
began=$(date +%s)
rows=()
tfjs_node_gpu_installed=0

# One step: name, time limit in seconds, command. Never stops the script; adds a row
# with the status, the seconds taken and the detail that the step's summary function
# (summary_<name>, given the log) prints.
run_step() {
  local name="$1" limit="$2"
  shift 2
  local log="$logs/$name.log" left status rc detail t0 t1
  left=$((budget - ($(date +%s) - began)))
  if [[ "$skip" == *" $name "* ]]; then
    rows+=("| $name | skipped (GPU_CHECK_SKIP) | 0 | |")
    return 0
  fi
  if ((left < 10)); then
    rows+=("| $name | skipped (time budget of ${budget} s spent) | 0 | |")
    return 0
  fi
  ((limit > left)) && limit=$left
  echo "gpu-check: $name (up to ${limit} s) ..." >&2
  t0=$(date +%s)
  rc=0
  # the step's function in a child bash (timeout runs programs, not functions)
  timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" > "$log" 2>&1 || rc=$?
  t1=$(date +%s)
  if ((rc == 0)); then
    status=ok
  elif ((rc == 124 || rc == 137)); then
    status="TIMED OUT after ${limit} s"
  else
    status="FAILED (exit $rc)"
  fi
  detail="$("summary_$name" "$log" 2> /dev/null | tr '\n|' ' /' | cut -c1-160 || true)"
  [[ "$status" != ok && -z "$detail" ]] && detail="$(grep -v '^\s*$' "$log" | tail -n 1 | tr '|' '/' | cut -c1-160 || true)"
  rows+=("| $name | $status | $((t1 - t0)) | $detail |")
  return 0
}

# --- the steps -------------------------------------------------------------------------

gpu() { nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; }
summary_gpu() { head -n 2 "$1"; }

vulkan() {
  if ldconfig -p | grep -q 'libvulkan\.so\.1'; then
    echo "Vulkan loader present"
  elif [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 > /dev/null
    echo "Vulkan loader installed (libvulkan1)"
  else
    echo "no Vulkan loader (libvulkan.so.1), and no apt-get as root to install it" >&2
    return 1
  fi
  ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2> /dev/null | grep -i -m1 nvidia || echo "(no NVIDIA Vulkan ICD file found; the driver's Vulkan part may be missing)"
}
summary_vulkan() { tail -n 2 "$1"; }

setup() {
  if [ ! -d node_modules/@tensorflow/tfjs ]; then npm ci --no-audit --no-fund; fi
  npx tsc -b
}
summary_setup() { grep -m1 -i 'native kernels' "$1" || echo "built"; }

doctor() { node core/dist/cli/main.js doctor; }
summary_doctor() { grep -E -i '^ *(device|webgpu|native|backend)' "$1" | head -n 4; }

webgpu_tests() { ABSNAS_BACKEND=webgpu npx jest core/test/backend --testPathIgnorePatterns webgpu-run; }
summary_webgpu_tests() { grep -E '^Tests:' "$1" | tail -n 1; }

nb201() { node bench/absnas-models.js nb201 --steps "$steps" --warmup 2 --backend "$1"; }
# img/s, step time, backend and peak RSS from the benchmark's JSON line
summarize_nb201() {
  grep '^{' "$1" | tail -n 1 | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s);
      console.log(`${j.imagesPerSecond.toFixed(1)} img/s (${j.medianMs.toFixed(0)} ms per step), ${j.backend}, peak RSS ${j.peakRssMiB.toFixed(0)} MiB`);
    });'
}
nb201_webgpu() { nb201 webgpu; }
summary_nb201_webgpu() { summarize_nb201 "$1"; }

tfjs_node_gpu() {
  npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0
  node -e 'const tf = require("@tensorflow/tfjs-node-gpu"); console.log("tfjs-node-gpu loaded, TensorFlow", tf.version.tfjs)'
}
summary_tfjs_node_gpu() { tail -n 1 "$1"; }

nb201_tensorflow_gpu() { nb201 tensorflow-gpu; }
summary_nb201_tensorflow_gpu() { summarize_nb201 "$1"; }

nb201_cpu() { ABSNAS_BACKEND= nb201 wasm; }
summary_nb201_cpu() { summarize_nb201 "$1"; }

# --- run them ------------------------------------------------------------------------

export -f gpu vulkan setup doctor webgpu_tests nb201 nb201_webgpu tfjs_node_gpu nb201_tensorflow_gpu nb201_cpu
export steps

run_step gpu 20 gpu
run_step vulkan 90 vulkan
run_step setup 180 setup
run_step doctor 60 doctor
run_step webgpu_tests 200 webgpu_tests
run_step nb201_webgpu 120 nb201_webgpu
# npm install runs in a child shell: whether it left the package behind is seen in node_modules
run_step tfjs_node_gpu 150 tfjs_node_gpu
[ -d node_modules/@tensorflow/tfjs-node-gpu ] && tfjs_node_gpu_installed=1
if ((tfjs_node_gpu_installed)) && printf '%s\n' "${rows[@]}" | grep -q '^| tfjs_node_gpu | ok'; then
  run_step nb201_tensorflow_gpu 90 nb201_tensorflow_gpu
else
  rows+=("| nb201_tensorflow_gpu | skipped (tfjs-node-gpu not loaded) | 0 | |")
fi
if ((tfjs_node_gpu_installed)); then
  npm uninstall --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu > "$logs/tfjs-node-gpu-removal.log" 2>&1 || true
fi
run_step nb201_cpu 90 nb201_cpu

echo
echo "absnas GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n), $(($(date +%s) - began)) s, load average $(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo '?')"
echo
echo "| step | status | seconds | detail |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "logs: $logs"
