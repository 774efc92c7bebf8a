# A UTF-8 byte order mark is accepted (YAML allows it); UTF-16 is refused.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
printf '\357\273\277' | cat - active-passive/registries.yaml >"$t/bom.yaml"
printf '\377\376a\000:\000 \0001\000\n\000' >"$t/utf16.yaml"
cd "$t" && slctl validate -f bom.yaml && slctl validate -f utf16.yaml
