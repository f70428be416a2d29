#!/usr/bin/env bash
# Creates or refreshes the Python environment of the Hugging Face parity tests.
#
#   ensure-venv.sh VENV_DIR
#
# Idempotent: when VENV_DIR holds a working interpreter and a marker recording the same requirements.txt, it exits
# at once. Otherwise it creates the venv (python3 -m venv), installs requirements.txt (exact pins) and writes the
# marker last, so an interrupted install is redone on the next run. Pip index: the first entry of
# `pip config get global.extra-index-url` when that is set (a local mirror), else pip's default plus the PyTorch
# CPU index, so torch comes as the CPU build. The Maven build runs this in process-test-classes, never when tests are skipped.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: ensure-venv.sh VENV_DIR" >&2
  exit 2
fi
venv=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements=$here/requirements.txt
marker=$venv/.spark-moe-requirements

up_to_date() {
  [[ -x $venv/bin/python && -f $marker ]] && cmp -s "$requirements" "$marker"
}

fail() {
  echo "ensure-venv: $1" >&2
  exit 1
}

if up_to_date; then
  exit 0
fi

command -v python3 >/dev/null ||
  fail "Cannot create $venv: python3 not found (install Python >= 3.10; Debian/Ubuntu: apt-get install -y python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  fail "Cannot create $venv: $(python3 --version 2>&1) is too old (expected: Python >= 3.10, as transformers 5 requires)"

mkdir -p "$venv"
if command -v flock >/dev/null; then
  # Parallel builds (mvn -T) may run this twice at once: the second waits, then finds the work done.
  exec 9>"$venv/.ensure-venv.lock"
  flock -w 1800 9 || fail "Cannot lock $venv/.ensure-venv.lock: another ensure-venv.sh held it for 30 minutes"
  if up_to_date; then
    exit 0
  fi
fi

start=$SECONDS
log=$venv/ensure-venv.log
: >"$log"

if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  # A venv without pip is what python3 -m venv leaves behind when python3-venv (ensurepip) is missing.
  rm -rf "$venv/bin" "$venv/lib" "$venv/lib64" "$venv/include" "$venv/share" "$venv/pyvenv.cfg"
  if ! python3 -m venv "$venv" >>"$log" 2>&1; then
    cat "$log" >&2
    fail "Cannot create $venv: python3 -m venv failed (Debian/Ubuntu: apt-get install -y python3-venv)"
  fi
fi

pip_args=(-q --disable-pip-version-check)
mirror=$("$venv/bin/python" -m pip config get global.extra-index-url 2>/dev/null | awk '{print $1}' || true)
if [[ -n $mirror ]]; then
  export PIP_INDEX_URL=$mirror
  index=$mirror
elif [[ -z ${PIP_INDEX_URL:-} && -z ${PIP_EXTRA_INDEX_URL:-} ]]; then
  pip_args+=(--extra-index-url https://download.pytorch.org/whl/cpu)
  index="PyPI + https://download.pytorch.org/whl/cpu"
else
  index=${PIP_INDEX_URL:-PyPI + ${PIP_EXTRA_INDEX_URL}}
fi

if ! "$venv/bin/python" -m pip install "${pip_args[@]}" -r "$requirements" >>"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "Cannot install $requirements into $venv from $index: pip failed (full log: $log). Fix: make the pinned versions reachable (network, or PIP_INDEX_URL pointing at an index that has them), or change the pins in requirements.txt; then rerun ensure-venv.sh $venv"
fi

versions=$("$venv/bin/python" -c 'import torch, transformers, safetensors, numpy, datasets as d
print(f"torch {torch.__version__}, transformers {transformers.__version__}, safetensors {safetensors.__version__}, numpy {numpy.__version__}, datasets {d.__version__}")' 2>>"$log") ||
  fail "Cannot import the installed packages in $venv (full log: $log). Fix: rm -rf $venv and rerun ensure-venv.sh $venv"

cp "$requirements" "$marker"
echo "ensure-venv: installed $versions into $venv from $index in $((SECONDS - start)) s"
