# A Kubernetes ConfigMap volume: visible names are symlinks through ..data into a timestamped
# directory; hidden entries are skipped and each real file is read once, even when named twice.
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$t/cm/..2026_11_27_10_00_00.1" 
cp active-active-subjects/registries.yaml active-active-subjects/links.yaml "$t/cm/..2026_11_27_10_00_00.1/"
ln -s ..2026_11_27_10_00_00.1 "$t/cm/..data"
ln -s ..data/registries.yaml "$t/cm/registries.yaml"
ln -s ..data/links.yaml "$t/cm/links.yaml"
touch "$t/cm/links.yaml~" "$t/cm/.links.yaml.swp" "$t/cm/#links.yaml#" "$t/cm/notes.txt"
cd "$t" && slctl validate -f cm -f cm/links.yaml -f cm/..data/links.yaml
