#!/bin/sh
# check_libc_neutral.sh READELF NM LIBSIGSYS
#
# libsigsys.so is one library for glibc and musl processes: LD_PRELOAD is
# inherited across execve between them, and musl's loader stops a program
# whose preload it cannot load (exit 127).  So:
#   - its only DT_NEEDED is libc.so.6, which musl's loader maps to itself
#     (never ld-linux-x86-64.so.2, which musl lacks);
#   - every symbol it imports (strong undefined; weak ones may stay
#     unresolved) is exported by musl's libc and by glibc's libc.so.6.
# musl's libc is its loader, /lib/ld-musl-x86_64.so.1 (Debian's musl
# package, installed with musl-tools by scripts/setup.sh).  A missing musl
# fails the check: it is not skipped.
set -eu
readelf=$1
nm=$2
lib=$3
musl=/lib/ld-musl-x86_64.so.1
fail=0

[ -r "$musl" ] || { echo "not ok: $musl missing (install musl-tools: bash scripts/setup.sh)"; exit 1; }
glibc=$(ldd "$lib" | awk '$1 == "libc.so.6" { print $3 }')
[ -n "$glibc" ] && [ -r "$glibc" ] || { echo "not ok: glibc's libc.so.6 not found by ldd $lib"; exit 1; }

needed=$("$readelf" -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
if [ "$needed" != "libc.so.6 " ]; then
	echo "not ok: DT_NEEDED is '$needed', want 'libc.so.6' alone"
	fail=1
fi

imports=$("$nm" -D --undefined-only "$lib" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }' | sort -u)
exports() { "$nm" -D --defined-only "$1" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u; }
exports "$musl" >"${TMPDIR:-/tmp}/libc-neutral-musl.$$"
exports "$glibc" >"${TMPDIR:-/tmp}/libc-neutral-glibc.$$"
for s in $imports; do
	grep -qx "$s" "${TMPDIR:-/tmp}/libc-neutral-musl.$$" || { echo "not ok: musl does not export $s"; fail=1; }
	grep -qx "$s" "${TMPDIR:-/tmp}/libc-neutral-glibc.$$" || { echo "not ok: glibc does not export $s"; fail=1; }
done
rm -f "${TMPDIR:-/tmp}/libc-neutral-musl.$$" "${TMPDIR:-/tmp}/libc-neutral-glibc.$$"
[ "$fail" -eq 0 ] || exit 1
echo "ok: DT_NEEDED libc.so.6; $(echo "$imports" | wc -l) imports, all in musl and glibc"
