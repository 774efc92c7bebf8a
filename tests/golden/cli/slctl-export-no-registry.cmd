slctl export -f x.yaml
