slctl validate -f field-rules.yaml
