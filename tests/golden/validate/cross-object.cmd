slctl validate -f cross-object.yaml
