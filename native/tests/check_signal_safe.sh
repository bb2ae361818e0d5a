#!/bin/sh
# check_signal_safe.sh OBJDUMP NM OBJECT...
#
# The ring producer (sigsys_ring_reserve/commit/push) and the violation
# encoder run inside the SIGSYS handler, where only async-signal-safe code
# may run.  They are written to call nothing, but a compiler is free to turn
# a copy loop into a call to memcpy().  This check proves the built objects:
#   - encode.c.o has no undefined symbols at all (calls nothing outside);
#   - the producer functions in ring.c.o contain no call instruction and no
#     relocation (so no call, tail jump or PLT reference to anything).
set -eu
objdump=$1
nm=$2
shift 2
ring=
enc=
for o in "$@"; do
	case "$o" in
	*/ring.c.o) ring=$o ;;
	*/encode.c.o) enc=$o ;;
	esac
done
[ -n "$ring" ] && [ -n "$enc" ] || { echo "ring.c.o or encode.c.o not among: $*"; exit 1; }
fail=0

undef=$("$nm" -u "$enc" | awk '{print $NF}' | tr '\n' ' ')
if [ -n "$undef" ]; then
	echo "not ok: encode.c.o references outside symbols: $undef"
	fail=1
else
	echo "ok: encode.c.o references no outside symbol"
fi

relocs=$("$objdump" -r -j .text "$ring" | awk '/^[0-9a-f]+ /{print $1}')
for fn in sigsys_ring_reserve sigsys_ring_commit sigsys_ring_push; do
	line=$("$nm" -S --defined-only "$ring" | awk -v f="$fn" '$4 == f {print $1, $2}')
	[ -n "$line" ] || { echo "not ok: $fn not found in $ring"; fail=1; continue; }
	start=$(printf '%d' "0x${line% *}")
	size=$(printf '%d' "0x${line#* }")
	bad=
	for off in $relocs; do
		o=$(printf '%d' "0x$off")
		if [ "$o" -ge "$start" ] && [ "$o" -lt $((start + size)) ]; then
			bad="$bad $off"
		fi
	done
	calls=$("$objdump" -d --no-show-raw-insn --disassemble="$fn" "$ring" |
		grep -cE '^\s+[0-9a-f]+:\s+call' || true)
	if [ -n "$bad" ] || [ "$calls" != 0 ]; then
		echo "not ok: $fn has relocations at:$bad, $calls call instructions"
		"$objdump" -dr --disassemble="$fn" "$ring" | grep -E 'call|R_X86' || true
		fail=1
	else
		echo "ok: $fn calls nothing"
	fi
done
exit $fail
