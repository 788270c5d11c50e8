#!/bin/sh
# tests/run.sh - builds and runs the test suite, adds up every run.
#
# Called by `make test` / `make test-quick` (tests/tests.mk) with MAKE, TB,
# TEST_MODES, TEST_NAMES, TEST_VARIANTS in the environment. Builds with
# `make -k` (so one broken build does not hide the others), runs every
# (mode, program) pair into $TB/logs/<mode>/<program>.log, then judges:
#   - a binary that is missing counts as one failure (build failed);
#   - a log without a final "N passed, N failed" line, or whose exit status
#     is non-zero while it reports no failure (crash, sanitizer, timeout),
#     counts as one failure;
#   - under the qemu CPU models the auto-dispatched ISA must be the expected
#     one (qmax: avx2, qnhm: scalar, a64: neon; isaenv, run with
#     NN_ISA=scalar: scalar): one check per log that
#     prints the "auto-dispatch isa:" line (tests/harness.h th_begin), and
#     at least one log per such mode must print it.
# Ends with ONE line "N passed, N failed" (the sum over all runs) and exits
# non-zero if anything failed.
MAKE=${MAKE:-make}
TB=${TB:-build/tests}
: "${TEST_MODES:=native asan a64 qmax qnhm gxx clang clangxx omp isaenv}"
: "${TEST_VARIANTS:=gcc gxx clang clangxx asan a64 omp}"
: "${TEST_NAMES:=$(for f in tests/test_*.c; do basename "$f" .c; done)}"

for m in $TEST_MODES; do rm -rf "$TB/logs/$m"; done

# Parallel by default: a plain `make test` (no -j) still uses every core.
case "${MAKEFLAGS:-}" in
*jobserver*) jobs="" ;;
*) jobs="-j$(nproc 2>/dev/null || echo 2)" ;;
esac
$MAKE -k $jobs TEST_MODES="$TEST_MODES" TEST_VARIANTS="$TEST_VARIANTS" test-build test-logs
make_rc=$?

passed=0
failed=0
known=0
fail() { failed=$((failed + 1)); echo "SUITE FAIL: $*"; }

echo
echo "==================== test summary ===================="
for v in $TEST_VARIANTS; do
    for n in $TEST_NAMES; do
        [ -x "$TB/$v/$n" ] || fail "build $v/$n failed"
    done
done

expect_isa() {
    case $1 in
    qmax) echo avx2 ;;
    qnhm|isaenv) echo scalar ;;
    a64) echo neon ;;
    *) echo "" ;;
    esac
}

printf '%-8s %-22s %8s %8s %5s %5s  %s\n' mode program passed failed exit secs auto-isa
for m in $TEST_MODES; do
    want=$(expect_isa "$m")
    seen=0
    for n in $TEST_NAMES; do
        log="$TB/logs/$m/$n.log"
        if [ ! -f "$log" ]; then
            fail "$m/$n did not run (build failed?)"
            continue
        fi
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
        rc=$(sed -n 's/^exit: //p' "$log" | tail -n 1)
        secs=$(sed -n 's/^seconds: //p' "$log" | tail -n 1)
        isa=$(sed -n 's/.*auto-dispatch isa: \([a-z0-9]*\).*/\1/p' "$log" | head -n 1)
        p=0; f=0
        if [ -n "$line" ]; then
            p=${line%% passed*}
            f=${line#*passed, }; f=${f%% failed}
        fi
        printf '%-8s %-22s %8s %8s %5s %5s  %s\n' "$m" "$n" "$p" "$f" "${rc:-?}" "${secs:-?}" "${isa:-?}"
        passed=$((passed + p))
        failed=$((failed + f))
        if [ -z "$line" ]; then
            fail "$m/$n: no final 'N passed, N failed' line (crashed? exit ${rc:-?}); tail of $log:"
            tail -n 15 "$log" | sed 's/^/    /'
        elif [ "${rc:-1}" != 0 ] && [ "$f" = 0 ]; then
            fail "$m/$n exited with status ${rc:-?} after reporting no failure; tail of $log:"
            tail -n 15 "$log" | sed 's/^/    /'
        elif [ "$f" != 0 ]; then
            grep -E '^FAIL' "$log" | head -n 10 | sed "s|^|    $m/$n: |"
        elif [ "$p" = 0 ]; then
            fail "$m/$n ran no checks"
        fi
        grep -E '^KNOWN BUG' "$log" | head -n 3 | sed "s|^|    $m/$n: |"
        known=$((known + $(grep -c '^KNOWN BUG' "$log")))
        if [ -n "$want" ] && [ -n "$isa" ]; then
            seen=$((seen + 1))
            if [ "$isa" = "$want" ]; then passed=$((passed + 1))
            else fail "$m/$n: auto-dispatch picked '$isa', expected '$want'"
            fi
        fi
    done
    if [ -n "$want" ] && [ "$seen" = 0 ]; then
        fail "$m: no program reported its auto-dispatch ISA (expected '$want')"
    fi
done
if [ "$make_rc" != 0 ] && [ "$failed" = 0 ]; then
    fail "make exited with status $make_rc"
fi
[ "$known" = 0 ] || echo "($known known-bug checks failed, not counted: KNOWN BUG lines above)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
