#!/bin/sh
# Regenerates the REAL Terraform fixtures of this directory (v1.tfstate,
# v2.tfstate, their `terraform state list` outputs and truncated.tfstate)
# by running terraform init/apply for real on the configurations in
# config/. aws-handwritten.tfstate is hand-written and NOT regenerated.
#
# Everything runs in a temporary directory so no .terraform/ directory,
# lock file or backup state ever lands in testdata. Only the built-in
# provider (terraform.io/builtin/terraform) is used: no network needed.
#
# Usage: sh importers/terraform/testdata/generate.sh   (TERRAFORM=path to override)
set -eu

tf=${TERRAFORM:-terraform}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

run() { # run DIR ARGS...: terraform in DIR, quiet unless it fails
	dir=$1
	shift
	(cd "$tmp/$dir" && "$tf" "$@" -no-color >"$tmp/log" 2>&1) || {
		cat "$tmp/log" >&2
		exit 1
	}
}

cp -R "$here/config/upstream" "$here/config/modules" "$tmp/"
mkdir "$tmp/root"

# The data source of the main configuration reads this state.
run upstream init -input=false
run upstream apply -input=false -auto-approve

# First state: apply v1, then taint web[2] so one instance has
# "status": "tainted".
cp "$here/config/v1/main.tf" "$tmp/root/main.tf"
run root init -input=false
run root apply -input=false -auto-approve
run root taint 'terraform_data.web[2]'
cp "$tmp/root/terraform.tfstate" "$here/v1.tfstate"
(cd "$tmp/root" && "$tf" state list -no-color) >"$here/v1.addresses"

# Second state, same lineage: bucket "assets" removed, cache[0..1] added,
# the tainted web[2] replaced (new id).
cp "$here/config/v2/main.tf" "$tmp/root/main.tf"
run root init -input=false
run root apply -input=false -auto-approve
cp "$tmp/root/terraform.tfstate" "$here/v2.tfstate"
(cd "$tmp/root" && "$tf" state list -no-color) >"$here/v2.addresses"

# A state cut in the middle of its resources, as a failed copy or an
# interrupted `terraform state pull` would leave it.
size=$(wc -c <"$here/v1.tfstate")
head -c $((size * 6 / 10)) "$here/v1.tfstate" >"$here/truncated.tfstate"

echo "regenerated v1.tfstate v2.tfstate (lineage $(sed -n 's/.*"lineage": "\(.*\)".*/\1/p' "$here/v1.tfstate"))"
