slctl validate -f empty.yaml
