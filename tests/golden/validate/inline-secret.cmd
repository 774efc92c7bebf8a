slctl validate -f inline-secret.yaml
