# A 100 MB file is refused by its size before any of it is read (sparse, not committed).
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
truncate -s 100M "$t/big.yaml"
cd "$t" && slctl validate -f big.yaml
