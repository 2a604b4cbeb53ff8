#!/bin/bash
# Packs `npm run bench:gpu` for a Linux x86-64 GPU machine that has Python + PyTorch but no Node.js, into .gpubench/
# (git-ignored; under 64 MiB with the working tree): the benchmark and its JavaScript dependencies as one esbuild file,
# node (xz -9 of this machine's binary: needs only libc and libstdc++), Dawn's dawn.node (xz -9), the Vulkan loader
# and glvnd libraries NVIDIA's Vulkan driver loads (Debian's libvulkan1, libglvnd0, libglx0, libegl1, fetched with
# apt-get download and unpacked with dpkg -x), the PyTorch peer scripts, and run.sh, which runs it all there in one
# command. `npm run bench:gpu-bundle` (or bash scripts/gpu-bundle.sh [outdir]); then see README "A real GPU".
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.gpubench}
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
node_bin=$(readlink -f "$(command -v node)")
[ -f "$dawn" ] || { echo "gpu-bundle: $dawn is missing (npm ci installs the webgpu dev dependency)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "gpu-bundle: this machine is $(uname -m); the GPU machine needs x86-64 node and dawn.node" >&2; exit 1; }
rm -rf "$out.tmp"
mkdir -p "$out.tmp/vulkan"

# One ESM file; CommonJS dependencies get a real require (esbuild's shim cannot load Node's built-ins from ESM).
# `webgpu` stays out: run.sh hands dawn.node's path to lib/cli/dawn-backend.ts (WEBTUNE_DAWN_NODE).
node_modules/.bin/esbuild scripts/bench-gpu.ts --bundle --platform=node --format=esm --target=node20 --minify \
  --external:webgpu --log-level=warning --outfile="$out.tmp/bench-gpu.mjs" \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"

cp scripts/bench_peer.py scripts/pretrain_demo.py scripts/peer_llama.py "$out.tmp/"
pack() { # xz -9 of $1 to $2, reusing an earlier bundle's copy made after the source last changed (minutes on 2 cores)
  if [ -f "$out/$2" ] && [ "$out/$2" -nt "$1" ]; then cp "$out/$2" "$out.tmp/$2"; else xz -9 -T0 -c "$1" > "$out.tmp/$2"; fi
}
pack "$node_bin" node.xz
pack "$dawn" dawn.node.xz

# The Vulkan loader and glvnd (libGLdispatch, which NVIDIA's ICD libGLX_nvidia.so.0 links).
debs=$(mktemp -d)
(cd "$debs" && apt-get -q download libvulkan1 libglvnd0 libglx0 libegl1 >/dev/null 2>&1) || { echo "gpu-bundle: apt-get download of libvulkan1 libglvnd0 libglx0 libegl1 failed (needs Debian's package lists: apt-get update)" >&2; exit 1; }
for f in "$debs"/*.deb; do dpkg -x "$f" "$out.tmp/vulkan"; done
mv "$debs" "$out.tmp/debs" # also as packages: run.sh's second try unpacks them into / (as root)
rm -rf "$out.tmp/vulkan/usr/share"
cp scripts/gpu-run.sh "$out.tmp/run.sh"
chmod +x "$out.tmp/run.sh"
rm -rf "$out"
mv "$out.tmp" "$out"
for f in "$out"/* "$out"; do du -sb "$f"; done | awk '{ printf "%8.1f MiB  %s\n", $1 / 1048576, $2 }'
