# A binary file: YAML text with a NUL byte on line 3.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
printf 'apiVersion: schemalink.io/v1alpha1\nkind: Registry\nmetadata: {name: a\0b}\n' >"$t/nul.yaml"
cd "$t" && slctl validate -f nul.yaml
