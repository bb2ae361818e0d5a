#!/bin/sh
# check_handler_safe.sh NM OBJECT...   (checks the one named handler.c.o)
#
# The SIGSYS handler may only call async-signal-safe code.  handler.c is
# written to call nothing but the ring producer, the encoder, the chain
# accessors (all sigsys_*) and clock_gettime (vDSO; async-signal-safe per
# POSIX); errno goes through __errno_location.  The compiler may emit
# memcpy/memset for struct copies (both async-signal-safe since POSIX.1-2016).
# Anything else showing up in the object's undefined symbols fails.
set -eu
nm=$1
shift
obj=
for o in "$@"; do
	case "$o" in */handler.c.o) obj=$o ;; esac
done
[ -n "$obj" ] || { echo "not ok: handler.c.o not among: $*"; exit 1; }
bad=$("$nm" -u "$obj" | awk '{print $NF}' | grep -v -E '^(_GLOBAL_OFFSET_TABLE_|__errno_location|clock_gettime|memcpy|memset|sigsys_[a-z0-9_]+)$' || true)
if [ -n "$bad" ]; then
	echo "not ok: handler.c.o calls outside the signal-safe set: $bad"
	exit 1
fi
echo "ok: handler.c.o references only: $("$nm" -u "$obj" | awk '{print $NF}' | tr '\n' ' ')"
