# 100,000 nested flow sequences, generated (not committed).
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
head -c 100000 /dev/zero | tr '\0' '[' >"$t/depth.yaml"
cd "$t" && slctl validate -f depth.yaml
