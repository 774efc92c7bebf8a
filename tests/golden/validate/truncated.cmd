slctl validate -f truncated.yaml
