#!/bin/sh
# run.sh of the GPU bundle (scripts/gpu-bundle.sh copies it there): on a Linux x86-64 machine with an NVIDIA GPU and
# no Node.js, unpacks node and dawn.node, points Dawn at the carried Vulkan loader and the machine's NVIDIA Vulkan
# driver, says what it found, and runs the GPU benchmark with the PyTorch peer on the same GPU. Arguments go to the
# benchmark (--json, --configs, --methods, --steps, ...). Run it from the repository root (the demo model is read
# from public/models/webtune-demo). Exits non-zero with a plain message when Dawn finds no GPU.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${WEBTUNE_GPU_WORK:-/tmp/webtune-gpubench}
mkdir -p "$work"

unxz_to() { # file.xz -> file, with xz or Python's lzma (the GPU machine has Python)
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2.part"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2.part"; fi
  mv "$2.part" "$2"
}
[ -x "$work/node" ] || { unxz_to "$here/node.xz" "$work/node"; chmod +x "$work/node"; }
[ -f "$work/dawn.node" ] || unxz_to "$here/dawn.node.xz" "$work/dawn.node"

# The carried loader first; NVIDIA's libraries where container images mount them.
libs="$here/vulkan/usr/lib/x86_64-linux-gnu"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && libs="$libs:$d"; done
export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
  done
fi
export WEBTUNE_DAWN_NODE="$work/dawn.node"

echo "run.sh: node $("$work/node" --version); Vulkan driver manifest: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-none found (Dawn will find no GPU)}}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L || echo "run.sh: no nvidia-smi here"
py=$(command -v python3 || echo python3)
bench() { "$work/node" "$here/bench-gpu.mjs" --python "$py" --peer-script "$here/bench_peer.py" "$@"; }
status=0
bench "$@" || status=$?
# Second try, the way the GPU machine's notes load Vulkan: the packages unpacked into / and ldconfig. Only as root
# on a machine with an NVIDIA driver (never on a development machine without one); WEBTUNE_NO_ROOT_UNPACK=1 skips it.
nvidia=; { command -v nvidia-smi >/dev/null 2>&1 || [ -e /dev/nvidiactl ]; } && nvidia=1
if [ "$status" = 2 ] && [ -n "$nvidia" ] && [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1 && [ -z "${WEBTUNE_NO_ROOT_UNPACK:-}" ]; then
  echo "run.sh: no adapter with the carried loader on LD_LIBRARY_PATH; unpacking $(ls "$here/debs" | tr '\n' ' ')into / and trying again" >&2
  for f in "$here"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"; fi
  status=0
  bench "$@" || status=$?
fi
if [ "$status" = 2 ]; then
  echo "run.sh: no GPU adapter: the benchmark did not run (the message above says what is missing)" >&2
fi
exit "$status"
