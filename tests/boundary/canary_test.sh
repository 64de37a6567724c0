#!/usr/bin/env bash
# canary_test.sh SCRIPT OBJECT - the symbol check must reject canary.c's
# object (exit status 1) and name each call it makes, decorated or not.
set -u
out="$(bash "$1" "$2")"
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 1 ]; then
  echo "canary_test: exit status $rc, expected 1" >&2
  exit 1
fi
for s in open read getenv socket fork; do
  if ! printf '%s\n' "$out" |
       grep -Eq "canary\.c\.o: references (__)?$s(64)?(_chk|_2)? "; then
    echo "canary_test: $s was not reported" >&2
    exit 1
  fi
done
echo "canary_test: all 5 calls reported"
