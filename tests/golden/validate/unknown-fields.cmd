slctl validate -f unknown-fields.yaml
