slctl validate -f duplicate-keys.yaml
