#!/bin/sh
# install.consumer: installs this build into a fresh prefix, then builds
# tests/consumer/consumer.c against it twice, as another project would:
# with CMake's find_package(shmlab CONFIG), and with pkg-config. Each
# program must run and find its root. Usage: run.sh BUILD_DIR WORK_DIR
set -eu
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
echo "installed into a fresh prefix: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"

cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
cmake --build "$work/cmake" >"$work/build.log"
echo "find_package: $("$work/cmake/consumer")"

if ! command -v pkg-config >/dev/null 2>&1; then
	echo "SKIP: pkg-config is not installed (Debian: apt-get install pkg-config)"
	exit 77
fi
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name shmlab.pc)")
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir shmlab)
# shellcheck disable=SC2046  # pkg-config's words are meant to be split
cc -o "$work/consumer-pc" "$here/consumer.c" $(pkg-config --cflags --libs shmlab) -Wl,-rpath,"$libdir"
echo "pkg-config: $("$work/consumer-pc")"
