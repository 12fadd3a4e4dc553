#!/usr/bin/env bash
# run.sh BUILD_DIR CC CXX GENERATOR: install BUILD_DIR into a scratch prefix, then build
# and run, against that install only, a CMake consumer (find_package, every
# face's target) and a C program built from `pkg-config kthreads` alone.
set -euo pipefail
build=$1 cc=$2 cxx=$3 generator=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/consumer" -G "$generator" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
libdir=$(dirname "$(find "$work/prefix" -name kthreads.pc)")
export PKG_CONFIG_PATH=$libdir
# shellcheck disable=SC2046  # pkg-config's flags are words
"$cc" -o "$work/pc" "$here/pkgconfig.c" $(pkg-config --cflags --libs kthreads)
LD_LIBRARY_PATH=$(pkg-config --variable=libdir kthreads) "$work/pc"
