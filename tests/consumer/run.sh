#!/bin/sh
# install.consumer: installs this build into a fresh prefix, then builds
# tests/consumer/consumer.c against it twice, as another project would:
# with CMake's find_package(shmlab CONFIG), and with pkg-config. Each
# program must run and find its root. Then the installed shmlab-conform,
# run outside the source tree, must find that the installed library keeps
# two rules and that one with offset-bounds' check taken out does not, and
# write nothing into the installed tree. Usage: run.sh BUILD_DIR WORK_DIR
set -eu
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
skip=

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
touch "$work/installed"
echo "installed into a fresh prefix: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"

cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
cmake --build "$work/cmake" >"$work/build.log"
echo "find_package: $("$work/cmake/consumer")"

if command -v pkg-config >/dev/null 2>&1; then
	PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name shmlab.pc)")
	export PKG_CONFIG_PATH
	libdir=$(pkg-config --variable=libdir shmlab)
	# shellcheck disable=SC2046  # pkg-config's words are meant to be split
	cc -o "$work/consumer-pc" "$here/consumer.c" $(pkg-config --cflags --libs shmlab) -Wl,-rpath,"$libdir"
	echo "pkg-config: $("$work/consumer-pc")"
else
	skip="pkg-config is not installed (Debian: apt-get install pkg-config)"
fi

# The public library: not the harness's own copy under .../shmlab/lib/, nor an i386 twin.
lib=$(find "$prefix" -name libshmlab.so ! -path '*/shmlab/lib/*' ! -path '*/i386/*')
fail() { cat "$1" >&2; echo "FAIL: $2" >&2; exit 1; }
cd "$work"
"$prefix/bin/shmlab-conform" --impl "$lib" --rule offset-bounds --rule alloc-basic --junit "$work/conform.xml" \
	>conform.out 2>&1 || fail conform.out "shmlab-conform failed on the installed library"
grep -q "2 of 2 rules hold" conform.out || fail conform.out "expected 2 of 2 rules to hold"
echo "shmlab-conform, installed library: $(grep "rules hold" conform.out)"

# The reference with shmlab_off_to_ptr's bounds check made never to fire.
sed 's/if (!in_bounds(v->size, off, len))/if (0)/' "$src/reference/offset.c" >offset.c
! cmp -s "$src/reference/offset.c" offset.c || { echo "FAIL: the sed no longer changes reference/offset.c" >&2; exit 1; }
set --
for f in "$src"/reference/*.c; do
	case $f in *_win32.c | */offset.c) ;; *) set -- "$@" "$f" ;; esac
done
cc -shared -fPIC -std=c11 -D_GNU_SOURCE -I "$src/reference/include" -o libbroken.so offset.c "$@"
status=0
"$prefix/bin/shmlab-conform" --impl libbroken.so --rule offset-bounds >broken.out 2>&1 || status=$?
[ "$status" = 1 ] || fail broken.out "shmlab-conform exited $status on a library without the bounds check, not 1"
grep -q "offset-bounds .* FAIL" broken.out || fail broken.out "offset-bounds not named as failing"
echo "shmlab-conform, broken library: $(sed -n 's/^ *offset-bounds \.\.* /offset-bounds /p' broken.out)"

written=$(find "$prefix" -newer installed)
[ -z "$written" ] || { echo "FAIL: written into the installed tree: $written" >&2; exit 1; }

if [ -n "$skip" ]; then
	echo "SKIP: $skip"
	exit 77
fi
