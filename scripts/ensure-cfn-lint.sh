#!/usr/bin/env bash
# Makes sure cfn-lint (AWS's CloudFormation linter: resource schemas, property types, references) is on
# the PATH for the template validation in test/aws/stack.test.ts. Safe to run repeatedly. It never
# stops CI: without cfn-lint the validation test itself fails under CI=true with the same advice.
set -euo pipefail
if command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint $(cfn-lint --version 2>&1 | awk '{print $2}') is installed"
  exit 0
fi
candidate="$(apt-cache policy cfn-lint 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [ "$(id -u)" = "0" ] && [ -z "$candidate" ]; then
  apt-get update -qq || true
  candidate="$(apt-cache policy cfn-lint 2>/dev/null | awk '/Candidate:/ {print $2}')"
fi
if [ "$(id -u)" = "0" ] && [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
  echo "installing Debian's cfn-lint $candidate (validates the synthesized CloudFormation template)…"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cfn-lint >/dev/null
  exit 0
fi
echo "cfn-lint is missing and this system's packages do not have it: the CloudFormation template validation" >&2
echo "test fails under CI and is skipped elsewhere. Install it with 'pip install cfn-lint', or from your" >&2
echo "distribution's cfn-lint package where it has one." >&2
